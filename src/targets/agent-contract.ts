import { createHash } from "node:crypto";
import type { Agent, ModelConfig } from "../fleet/model";
import { modelConfigSchema } from "./model-config";
import type { StackSettings } from "../stack/settings";

/**
 * What every target hands every agent, the same on Docker and Kubernetes: its image reference,
 * its identity and ports in the environment, and its model config as a JSON file.
 */

/** Where an agent finds cascade's files (probe, model config), read-only. */
export const AGENT_FILES_DIR = "/opt/cascade";

export const MODEL_CONFIG_ENV = "CASCADE_MODEL_CONFIG";

export function modelConfigPath(agentName: string): string {
  return `${AGENT_FILES_DIR}/models/${agentName}.json`;
}

/** registry/image:tag, with the agent's own tag from `imageTags` when the stack sets one. */
export function imageReference(
  agent: Pick<Agent, "name" | "image">,
  settings: Pick<StackSettings, "imageRegistry" | "imageTag" | "imageTags">,
): string {
  const registry = settings.imageRegistry.replace(/\/+$/, "");
  const base = registry === "" ? agent.image : `${registry}/${agent.image}`;
  const lastSegment = base.slice(base.lastIndexOf("/") + 1);
  if (lastSegment.includes(":") || lastSegment.includes("@")) return base;
  return `${base}:${settings.imageTags[agent.name] ?? settings.imageTag}`;
}

/** The JSON the agent reads from CASCADE_MODEL_CONFIG (schema: ./model-config.ts). */
export function modelConfigJson(models: ModelConfig): string {
  const config = modelConfigSchema.parse({
    preload: models.preload,
    on_demand: models.onDemand,
    max_models_in_memory: models.maxModelsInMemory,
    eviction_policy: models.evictionPolicy,
    idle_timeout_seconds: models.idleTimeoutSeconds,
  });
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** The variables an agent (and the stand-in playing it) reads, over the fleet's own ones. */
export function agentEnvironment(agent: Agent): Record<string, string> {
  return {
    ...agent.environment,
    CASCADE_SERVICE: agent.name,
    CASCADE_GROUP: agent.group,
    CASCADE_WAVE: String(agent.wave),
    CASCADE_HEALTH_PORT: String(agent.healthPort),
    ...(agent.servicePort === undefined ? {} : { CASCADE_SERVICE_PORT: String(agent.servicePort) }),
    ...(agent.models ? { [MODEL_CONFIG_ENV]: modelConfigPath(agent.name) } : {}),
  };
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
