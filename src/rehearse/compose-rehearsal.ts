import type Docker from "dockerode";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fleetCompose, writeProjectFiles } from "../docker/compose-project";
import type { Fleet } from "../fleet/model";
import type { Ordering, Plan } from "../fleet/planner";
import type { StackSettings } from "../stack/settings";
import { HealthyTimes, type AgentTimes } from "./healthy-times";
import { rehearsalInputs, type CreateContext } from "./scale";
import { teardown } from "./teardown";

/**
 * The rehearsal with Docker Compose as the engine: the stack's exported Compose file with
 * every agent mapped exactly as `cascade rehearse` maps it (`rehearsalInputs`: stand-in
 * image, scaled timings, host network), brought up with `docker-compose up -d`, and timed
 * until every container is healthy by Docker's `health_status` events. What bench/startup
 * compares the rehearsal and `pulumi up` against.
 */

export interface ComposeRehearsalOptions {
  docker: Docker;
  stack: string;
  settings: StackSettings;
  fleet: Fleet;
  ordering: Ordering;
  scale: number;
  minIntervalMs: number;
  image: string;
  projectRoot: string;
  /** Give up after this long (default 5 min). */
  timeoutMs?: number;
}

export interface ComposeRehearsal {
  runId: string;
  plan: Plan;
  outcome: "healthy" | "failed";
  /** From just before `docker-compose up -d` until the last agent's healthy event arrived. */
  allHealthyMs?: number;
  /** When `docker-compose up -d` returned. */
  upMs?: number;
  agents: AgentTimes[];
  failure?: string;
}

const COMPOSE_FILE = "compose.yaml";

export async function composeRehearsal(
  options: ComposeRehearsalOptions,
): Promise<ComposeRehearsal> {
  const { docker, fleet } = options;
  const runId = randomBytes(3).toString("hex");
  const dir = mkdtempSync(path.join(tmpdir(), "cascade-compose-"));
  const project = `cascade-${options.stack}-${runId}`.toLowerCase();
  const context: CreateContext = {
    runId,
    scale: options.scale,
    minIntervalMs: options.minIntervalMs,
    image: options.image,
    agentByPort: new Map(fleet.agents.map((agent) => [String(agent.healthPort), agent.name])),
    volumes: new Map(),
    extraEnv: {},
  };
  const exported = fleetCompose({
    stack: options.stack,
    settings: { ...options.settings, networkMode: "host", monitoring: false },
    fleet,
    ordering: options.ordering,
    composeDir: dir,
    projectRoot: options.projectRoot,
    mapSpec: (spec) => rehearsalInputs(spec, context),
  });
  writeProjectFiles(exported.filesDir, exported.project.files);
  writeFileSync(path.join(dir, COMPOSE_FILE), exported.project.text);

  const times = await HealthyTimes.watch(docker, runId, fleet.agents.length);
  const compose = (...args: string[]) =>
    run("docker-compose", ["-p", project, "-f", COMPOSE_FILE, ...args], dir);
  const timeoutMs = options.timeoutMs ?? 300_000;
  const t0 = performance.now();
  const result: ComposeRehearsal = { runId, plan: exported.plan, outcome: "failed", agents: [] };
  try {
    const up = await compose("up", "-d", "--no-build");
    result.upMs = performance.now() - t0;
    if (up.status !== 0) {
      result.failure = `docker-compose up failed (${up.status}): ${up.output.trim().split("\n").slice(-3).join(" / ")}`;
    } else if (await times.allWithin(timeoutMs)) {
      result.outcome = "healthy";
    } else {
      result.failure = `${times.healthy} of ${fleet.agents.length} healthy after ${timeoutMs} ms`;
    }
    result.agents = await times.agents(
      t0,
      fleet.agents.map((agent) => ({ agent: agent.name, wave: agent.wave })),
    );
    if (result.outcome === "healthy")
      result.allHealthyMs = Math.max(...result.agents.map((agent) => agent.healthyMs ?? 0));
  } finally {
    times.close();
    await compose("down", "--volumes", "--timeout", "2");
    await teardown(docker, runId);
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

function run(
  cmd: string,
  args: string[],
  cwd: string,
): Promise<{ status: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (data: Buffer) => (output += data.toString()));
    child.stderr.on("data", (data: Buffer) => (output += data.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ status: code ?? -1, output }));
  });
}
