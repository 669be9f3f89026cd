import Docker from "dockerode";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { accessSync, constants, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Fleet } from "../src/fleet/model";
import type { Ordering } from "../src/fleet/planner";
import { HealthyTimes, type AgentTimes } from "../src/rehearse/healthy-times";
import { teardown } from "../src/rehearse/teardown";
import { ROOT } from "../test/support/engine";
import { scratchProject } from "../test/support/scratch-project";
import { STANDINS_ENV, type StandinsContext } from "./pulumi-standins";

/**
 * `pulumi up` of the local stack (Pulumi.local-<stack>.yaml) with the real engine and Docker
 * provider found on PATH (`eval "$(scripts/build-engine.sh env)"` puts the built ones there), in
 * a scratch project (test/support/scratch-project.ts),
 * its agent containers mapped as the rehearsal maps them (bench/pulumi-standins.ts), timed by
 * Docker's health events from just before `pulumi up` until every agent is healthy; then
 * `pulumi destroy`.
 */

const ENTRY = "pulumi-standins-main.ts";

/** The engine's CLI, its Node.js language host and the Docker provider. */
const ENGINE_BINARIES = ["pulumi", "pulumi-language-nodejs", "pulumi-resource-docker"];

function onPath(binary: string): boolean {
  return (process.env.PATH ?? "").split(path.delimiter).some((dir) => {
    try {
      accessSync(path.join(dir, binary), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Why `pulumi up` cannot be measured here, or undefined when the engine is on PATH. */
export function pulumiUnavailable(): string | undefined {
  const missing = ENGINE_BINARIES.filter((binary) => !onPath(binary));
  if (missing.length === 0) return undefined;
  return (
    `${missing.join(", ")} not on PATH: run eval "$(scripts/build-engine.sh env)" before the bench ` +
    `(if that finds nothing built, the real engine must be built first: scripts/build-engine.sh build pulumi pulumi-docker, docs/real-engine.md)`
  );
}

export interface PulumiUp {
  outcome: "healthy" | "failed";
  allHealthyMs?: number;
  /** When `pulumi up` returned. */
  upMs?: number;
  agents: AgentTimes[];
  failure?: string;
}

export async function pulumiUp(
  bench: { stack: string; scale: number; minIntervalMs: number; image: string; fleet: Fleet },
  ordering: Ordering,
): Promise<PulumiUp> {
  const stack = `local-${bench.stack}`;
  execFileSync(
    process.execPath,
    ["--import", "tsx", path.join(ROOT, "scripts/standin-images.ts"), "--stack", stack],
    { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] },
  );
  const runId = randomBytes(3).toString("hex");
  const context: StandinsContext = {
    runId,
    scale: bench.scale,
    minIntervalMs: bench.minIntervalMs,
    image: bench.image,
    agentByPort: bench.fleet.agents.map((agent) => [String(agent.healthPort), agent.name]),
  };
  const project = await scratchProject([stack], {
    ...process.env,
    [STANDINS_ENV]: JSON.stringify(context),
  });
  symlinkSync(path.join(ROOT, "bench"), path.join(project.dir, "bench"));
  writeFileSync(
    path.join(project.dir, ENTRY),
    'require("./bench/pulumi-standins").registerStandins();\nmodule.exports = require("./src/index");\n',
  );
  writeFileSync(
    path.join(project.dir, "Pulumi.yaml"),
    `name: cascade\nmain: ${ENTRY}\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n    nodeargs: "--import tsx"\n`,
  );
  const pulumi = (args: string[]) => project.pulumi([...args, "--stack", stack]);
  const docker = new Docker();
  const times = await HealthyTimes.watch(docker, runId, bench.fleet.agents.length);
  const result: PulumiUp = { outcome: "failed", agents: [] };
  try {
    await pulumi(["config", "set", "cascade:ordering", ordering]);
    const t0 = performance.now();
    const up = await pulumi(["up", "--yes", "--skip-preview"]);
    result.upMs = performance.now() - t0;
    if (up.status !== 0) {
      result.failure = `pulumi up failed (${up.status}): ${(up.stdout + up.stderr).trim().split("\n").slice(-4).join(" / ")}`;
    } else if (await times.allWithin(60_000)) {
      result.outcome = "healthy";
    } else {
      result.failure = `${times.healthy} of ${bench.fleet.agents.length} healthy a minute after pulumi up`;
    }
    result.agents = await times.agents(
      t0,
      bench.fleet.agents.map((agent) => ({ agent: agent.name, wave: agent.wave })),
    );
    if (result.outcome === "healthy")
      result.allHealthyMs = Math.max(...result.agents.map((agent) => agent.healthyMs ?? 0));
  } finally {
    times.close();
    await pulumi(["destroy", "--yes", "--skip-preview"]);
    await teardown(docker, runId);
    project.remove();
  }
  return result;
}
