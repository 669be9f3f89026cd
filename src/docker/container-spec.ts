import type { Agent, Fleet, RestartPolicy } from "../fleet/model";
import type { Plan, PlannedAgent } from "../fleet/planner";
import type { StackSettings } from "../stack/settings";
import { dockerHealthcheck, type DockerHealthcheck } from "./healthcheck";
import { FILES_MOUNT, PROBE_PATH } from "./paths";
import { containerName, filesVolumeName, kebab } from "../targets/names";
import {
  agentEnvironment,
  imageReference,
  modelConfigJson,
  modelConfigPath,
  sha256,
} from "../targets/agent-contract";

/**
 * Agent + plan -> the plain inputs of its `docker.Container`, with no Pulumi in sight: unit
 * tests check the mapping in microseconds, and agent-group.ts only adds the image, network and
 * dependsOn resources.
 */

/** Label keys on every agent container (and `docker ps --filter label=cascade.group=...`). */
export const LABELS = {
  agent: "cascade.agent",
  group: "cascade.group",
  wave: "cascade.wave",
  critical: "cascade.critical",
  stack: "cascade.stack",
  host: "cascade.host",
  /** sha256 of the model config file: a change replaces the container (labels force replacement). */
  modelConfig: "cascade.model-config-sha256",
} as const;

export interface ContainerSpec {
  agent: string;
  /** Resource name suffix and container name. */
  name: string;
  /** Image reference (registry/image:tag); agent-group.ts swaps in the pulled image's id. */
  image: string;
  envs: string[];
  labels: { label: string; value: string }[];
  healthcheck: DockerHealthcheck;
  wait: true;
  waitTimeout: number;
  restart: "no" | "on-failure" | "always";
  maxRetryCount?: number;
  deviceRequests?: {
    driver: "nvidia";
    capabilities: string[];
    count?: number;
    deviceIds?: string[];
  }[];
  cpus?: string;
  memory?: number;
  memorySwap?: number;
  memoryReservation?: number;
  securityOpts: string[];
  readOnly: boolean;
  tmpfs?: Record<string, string>;
  user?: string;
  volumes: { volumeName: string; containerPath: string; readOnly: true }[];
  networkMode?: "host";
  networkAliases?: string[];
  ports?: { internal: number; external: number }[];
  destroyGraceSeconds: number;
  /** The agents (not resources) this container waits for: the planner's edges. */
  dependsOn: string[];
  /** The model config file's content, for the files volume; undefined without models. */
  modelConfig?: { path: string; content: string };
}

export interface ContainerSpecContext {
  stack: string;
  host: string;
  settings: Pick<
    StackSettings,
    | "gpu"
    | "runGpuAgentsOnCpu"
    | "maxCpus"
    | "imageRegistry"
    | "imageTag"
    | "imageTags"
    | "waitMarginSeconds"
    | "networkMode"
    | "healthProbe"
  >;
  /** The files volume (probe binary, model configs). */
  filesVolume: string;
}

/** Docker's own restart backoff (100 ms doubling, capped at 1 min) replaces the seed's delay. */
export function dockerRestart(
  policy: RestartPolicy,
): Pick<ContainerSpec, "restart" | "maxRetryCount"> {
  switch (policy.condition) {
    case "none":
      return { restart: "no" };
    case "on-failure":
      return policy.maxAttempts > 0
        ? { restart: "on-failure", maxRetryCount: policy.maxAttempts }
        : { restart: "on-failure" };
    case "any":
      // Docker's only policy with a maximum is on-failure; the seed's max_attempts (and the
      // restart alert built on it) matter more than restarting an agent that exited 0.
      return policy.maxAttempts > 0
        ? { restart: "on-failure", maxRetryCount: policy.maxAttempts }
        : { restart: "always" };
  }
}

export function containerSpec(
  agent: Agent,
  planned: PlannedAgent,
  context: ContainerSpecContext,
): ContainerSpec {
  const { settings, stack } = context;
  if (planned.name !== agent.name)
    throw new Error(`plan entry ${planned.name} is not ${agent.name}`);
  if (agent.gpu && !settings.gpu && !settings.runGpuAgentsOnCpu) {
    throw new Error(`${agent.name} needs a GPU but stack ${stack} has cascade:gpu false`);
  }
  const hostNetwork = settings.networkMode === "host";
  const name = containerName(stack, agent);
  const modelConfig = agent.models
    ? { path: modelConfigPath(agent.name), content: modelConfigJson(agent.models) }
    : undefined;

  const labels: Record<string, string> = {
    [LABELS.agent]: agent.name,
    [LABELS.group]: agent.group,
    [LABELS.wave]: String(agent.wave),
    [LABELS.critical]: String(agent.critical),
    [LABELS.stack]: stack,
    [LABELS.host]: context.host,
  };
  if (modelConfig) labels[LABELS.modelConfig] = sha256(modelConfig.content);

  const env = agentEnvironment(agent);

  const ports = [agent.healthPort, ...(agent.servicePort === undefined ? [] : [agent.servicePort])];
  const spec: ContainerSpec = {
    agent: agent.name,
    name,
    image: imageReference(agent, settings),
    envs: Object.entries(env)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, value]) => `${key}=${value}`),
    labels: Object.entries(labels).map(([label, value]) => ({ label, value })),
    healthcheck: dockerHealthcheck(agent, {
      probe: settings.healthProbe,
      probePath: PROBE_PATH,
      dependencyHost: (service) =>
        hostNetwork ? "127.0.0.1" : containerName(stack, { name: service }),
    }),
    wait: true,
    // The wait starts when the container does: its own worst case, not the plan's ready-by time.
    waitTimeout: planned.worstSeconds + settings.waitMarginSeconds,
    ...dockerRestart(agent.restart),
    securityOpts: ["no-new-privileges:true"],
    readOnly: agent.security.readOnlyRootFilesystem,
    volumes: [{ volumeName: context.filesVolume, containerPath: FILES_MOUNT, readOnly: true }],
    destroyGraceSeconds: 30,
    dependsOn: [...planned.dependsOn],
  };
  if (agent.security.readOnlyRootFilesystem) spec.tmpfs = { "/tmp": "rw,noexec,nosuid,size=64m" };
  if (agent.security.user !== undefined) spec.user = agent.security.user;
  if (agent.gpu && settings.gpu) {
    spec.deviceRequests = [
      agent.gpu.deviceIds.length > 0
        ? { driver: "nvidia", capabilities: ["gpu"], deviceIds: [...agent.gpu.deviceIds] }
        : { driver: "nvidia", capabilities: ["gpu"], count: agent.gpu.count },
    ];
  }
  if (agent.resources.cpus !== undefined) {
    spec.cpus = dockerCpus(Math.min(agent.resources.cpus, settings.maxCpus ?? Infinity));
  }
  if (agent.resources.memoryBytes !== undefined) {
    spec.memory = megabytes(agent.resources.memoryBytes);
    // No swap, as on Kubernetes. Left unset, Docker would fill in twice the memory, which the
    // provider reads back as a change on every preview.
    spec.memorySwap = spec.memory;
  }
  if (agent.resources.memoryReservationBytes !== undefined) {
    spec.memoryReservation = megabytes(agent.resources.memoryReservationBytes);
  }
  if (hostNetwork) {
    spec.networkMode = "host";
  } else {
    spec.networkAliases = [kebab(agent.name)];
    spec.ports = ports.map((port) => ({ internal: port, external: port }));
  }
  if (modelConfig) spec.modelConfig = modelConfig;
  return spec;
}

/** Every agent's spec from the fleet and its plan, in fleet order: the Pulumi program's and Compose's. */
export function containerSpecs(
  fleet: Fleet,
  plan: Plan,
  context: Pick<ContainerSpecContext, "stack" | "settings">,
): ContainerSpec[] {
  const planned = new Map(plan.agents.map((agent) => [agent.name, agent]));
  return fleet.agents.map((agent) => {
    const entry = planned.get(agent.name);
    if (!entry) throw new Error(`the plan has no entry for ${agent.name}`);
    return containerSpec(agent, entry, {
      ...context,
      host: fleet.host,
      filesVolume: filesVolumeName(context.stack),
    });
  });
}

/**
 * CPUs as the provider reads them back from Docker (NanoCPUs): "1.0", "2.0", "0.5", "1.25". Any
 * other spelling ("1") differs from the state after every `up`, and `cpus` forces replacement.
 */
export function dockerCpus(cpus: number): string {
  const nanos = Math.round(cpus * 1e9);
  if (nanos % 1e9 === 0) return `${nanos / 1e9}.0`;
  return (nanos / 1e9).toFixed(9).replace(/0+$/, "");
}

function megabytes(bytes: number): number {
  return Math.ceil(bytes / (1024 * 1024));
}
