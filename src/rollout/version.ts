import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadFleet } from "../fleet/loader";
import type { Fleet, RollbackPolicy } from "../fleet/model";
import { planFleet, type Plan } from "../fleet/planner";
import { fleetStackContext, type StackSettings } from "../stack/settings";
import { namespaceName, networkName } from "../targets/names";
import { settingsFromConfig } from "./stack-config";
import type { StackConfig } from "./workspace";

/**
 * A program version as deploy and rollback need to know it: where its agents run and are
 * reached, its rollback policy, and its agents with the wave the plan gives each. A rollback
 * gets this from the version itself: `cascade rollout-spec` of the version's own checkout, run
 * with the config the version was deployed with (`loadVersionSpec`), so a setting or fleet field
 * that today's code no longer knows, or a namespace today's settings changed, cannot stand in
 * the way or mislead. Serializable: that command prints it as JSON.
 */
export interface VersionSpec {
  format: typeof SPEC_FORMAT;
  site: StackSite;
  policy: RollbackPolicy;
  agents: SpecAgent[];
}

export const SPEC_FORMAT = "cascade-rollout-spec/1";

export interface SpecAgent {
  name: string;
  group: string;
  /** The startup wave the version's plan gives the agent. */
  wave: number;
  critical: boolean;
  healthPort: number;
}

/** Where a stack's agents run and how they are reached and observed. */
export type StackSite =
  | {
      target: "docker";
      /** The Docker network the containers share (clients resolve agents on it). */
      network: string;
      /** The stack's Prometheus, when monitoring runs (the verify window's error rate). */
      prometheusUrl?: string;
    }
  | { target: "kubernetes"; namespace: string; kubeContext?: string };

export function stackSite(stack: string, settings: StackSettings): StackSite {
  if (settings.target === "kubernetes") {
    return {
      target: "kubernetes",
      namespace: namespaceName(stack, settings),
      ...(settings.kubeContext ? { kubeContext: settings.kubeContext } : {}),
    };
  }
  return {
    target: "docker",
    network: networkName(stack, settings),
    ...(settings.monitoring
      ? { prometheusUrl: `http://${settings.publicHost}:${settings.prometheusPort}` }
      : {}),
  };
}

export function versionSpec(
  stack: string,
  settings: StackSettings,
  fleet: Fleet,
  plan: Plan,
): VersionSpec {
  const waves = new Map(plan.agents.map((agent) => [agent.name, agent.wave]));
  return {
    format: SPEC_FORMAT,
    site: stackSite(stack, settings),
    policy: fleet.rollbackPolicy,
    agents: fleet.agents.map((agent) => ({
      name: agent.name,
      group: agent.group,
      wave: waves.get(agent.name) ?? agent.wave,
      critical: agent.critical,
      healthPort: agent.healthPort,
    })),
  };
}

/** The spec of the program checked out in `dir` with `config`, read by this checkout's code. */
export function specFromThisCode(dir: string, stack: string, config: StackConfig): VersionSpec {
  const settings = settingsFromConfig(config, `recorded config of stack ${stack}`);
  const fleet = loadFleet(path.join(dir, settings.fleet), fleetStackContext(stack, settings));
  return versionSpec(stack, settings, fleet, planFleet(fleet, settings.ordering));
}

/** The version's spec, and whose code read it. */
export interface LoadedVersion {
  spec: VersionSpec;
  /** "own": the version's `cascade rollout-spec`; "this": it has none (older than it). */
  readBy: "own" | "this";
}

export type VersionLoader = (
  dir: string,
  stack: string,
  config: StackConfig,
) => Promise<LoadedVersion>;

/** The version could not read its own settings or fleet: its message is that code's output. */
export class VersionError extends Error {
  override name = "VersionError";
}

/**
 * Runs `cascade rollout-spec` of the checkout in `dir` (the version's own code, with the
 * dependencies linked into it) on `config`. A version older than that command is read by this
 * checkout's code instead, and says so.
 */
export const loadVersionSpec: VersionLoader = async (dir, stack, config) => {
  const main = path.join(dir, "src", "cli", "main.ts");
  if (!existsSync(main)) return { spec: specFromThisCode(dir, stack, config), readBy: "this" };
  const tmp = mkdtempSync(path.join(os.tmpdir(), "cascade-spec-"));
  try {
    const configFile = path.join(tmp, "config.json");
    writeFileSync(configFile, JSON.stringify(config));
    const result = await runNode(
      ["--import", "tsx", main, "rollout-spec", "--stack", stack, "--config", configFile],
      dir,
    );
    if (result.status === 2 && /unknown command "rollout-spec"/.test(result.stderr)) {
      return { spec: specFromThisCode(dir, stack, config), readBy: "this" };
    }
    if (result.status !== 0) {
      throw new VersionError(
        `the version's own code refused its settings or fleet (cascade rollout-spec, exit ${result.status}):\n${result.stderr.trim()}`,
      );
    }
    const spec: unknown = JSON.parse(result.stdout);
    const format = (spec as { format?: unknown }).format;
    if (format !== SPEC_FORMAT) {
      throw new VersionError(
        `the version's cascade rollout-spec speaks ${String(format)}, not ${SPEC_FORMAT}`,
      );
    }
    return { spec: spec as VersionSpec, readBy: "own" };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
};

function runNode(
  args: string[],
  cwd: string,
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}
