import Docker from "dockerode";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { RehearsalAborted } from "./abort";
import { bringUp, type BringUpResult, type ProgressEvent } from "./bringup";
import { runProgram } from "./capture";
import { rehearsalBounds } from "./bounds";
import { removeLeftovers, runUnderWay } from "./leftovers";
import { takenPorts, takenPortsMessage } from "./ports";
import { measuredPath, pathBreakdown, waveSummary, type RehearsalReport } from "./report";
import { firstPassingProbeMs, intervalFloorMs, scaledTiming, STANDIN_IMAGE } from "./scale";
import {
  killAndWatch,
  setupScenario,
  type AfterEffect,
  type ScenarioName,
  type ScenarioSetup,
} from "./scenarios";
import { rehearsalFleet, restrictFleet, type RehearsalFleet } from "./specs";
import { removeCommands, runResources, teardown } from "./teardown";
import { defaultStartConcurrency } from "./start-gate";

/**
 * One rehearsal: run the Pulumi program under mocks for the stack (host networking, no
 * monitoring, the requested ordering), bring what it registers up on the local engine with
 * the stand-in, apply the scenario, report, and remove everything it created.
 */

export const ROOT = path.join(__dirname, "..", "..");

export interface RehearseOptions {
  stack: string;
  ordering?: "waves" | "dependencies";
  scale: number;
  scenario: ScenarioName;
  target?: string;
  keep: boolean;
  /** Rehearse these agents and what they depend on only. */
  only?: string[];
  /** Instead of Pulumi.<stack>.yaml. */
  stackFile?: string;
  /** Floor of the scaled health intervals; default `intervalFloorMs` of the fleet on this host. */
  minIntervalMs?: number;
  /** Inspect each waiting container every pollMs instead of watching Docker's health events. */
  pollMs?: number;
  /** Container creates and starts in flight at once; by default `defaultStartConcurrency`. */
  startConcurrency?: number;
  image?: string;
  /** Docker socket; default DOCKER_HOST (unix://) or /var/run/docker.sock. */
  socketPath?: string;
  onEvent?: (event: ProgressEvent) => void;
  /** Stops the rehearsal (the cli aborts it on SIGINT and SIGTERM); it removes what it created. */
  signal?: AbortSignal;
}

/** What stops a rehearsal that the operator can act on; the cli prints its message alone. */
export class RehearsalError extends Error {}

/** Interrupted (SIGINT, or the caller's signal) after removing everything it created. */
export class RehearsalInterrupted extends RehearsalError {
  constructor() {
    super("interrupted: removed everything the rehearsal created");
  }
}

export function dockerClient(socketPath?: string): Docker {
  const fromEnv = process.env.DOCKER_HOST?.startsWith("unix://")
    ? process.env.DOCKER_HOST.slice("unix://".length)
    : undefined;
  return new Docker({ socketPath: socketPath ?? fromEnv ?? "/var/run/docker.sock" });
}

/** Whether an engine answers on the socket, and whether it has the stand-in image. */
export async function engineStatus(
  docker: Docker,
  image = STANDIN_IMAGE,
): Promise<"ready" | "no-engine" | "no-image"> {
  try {
    await docker.ping();
  } catch {
    return "no-engine";
  }
  try {
    await docker.getImage(image).inspect();
    return "ready";
  } catch {
    return "no-image";
  }
}

export async function rehearse(options: RehearseOptions): Promise<RehearsalReport> {
  const docker = dockerClient(options.socketPath);
  const image = options.image ?? STANDIN_IMAGE;
  const setupPhase = (message: string): void =>
    options.onEvent?.({ kind: "phase", at: 0, message });
  await requireEngine(docker, image);
  setupPhase(`running the Pulumi program of stack ${options.stack} under mocks`);
  const { fleet, ordering } = await programFleet(options);
  stopIfAborted(options.signal);
  await clearTheWay(docker, fleet, setupPhase);
  stopIfAborted(options.signal);
  const minIntervalMs = options.minIntervalMs ?? intervalFloorMs(fleet.agents.length);
  const setup = setupScenario(
    fleet,
    options.scenario,
    options.scale,
    minIntervalMs,
    options.target,
  );
  const run: Run = {
    options,
    docker,
    fleet,
    ordering,
    setup,
    minIntervalMs,
    runId: randomBytes(3).toString("hex"),
    pollMs: options.pollMs,
    controller: new AbortController(),
    t0: performance.now(),
  };
  options.signal?.addEventListener("abort", () => run.controller.abort(), { once: true });
  const done = runUnderWay(run.runId);
  let report: RehearsalReport | undefined;
  try {
    report = await bringUpAndReport(run, image);
  } catch (error) {
    if (error instanceof RehearsalAborted) throw new RehearsalInterrupted();
    throw error;
  } finally {
    await removeOrKeep(run, report).finally(done);
  }
  return report;
}

function stopIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new RehearsalInterrupted();
}

/**
 * Before anything is created: what earlier rehearsals that ended left behind is named and
 * removed; the other rehearsal runs on the engine are named and left alone (`removeLeftovers`).
 * Then the stand-ins' ports must be free.
 */
async function clearTheWay(
  docker: Docker,
  fleet: RehearsalFleet,
  phase: (message: string) => void,
): Promise<void> {
  const { removed, running, unowned } = await removeLeftovers(docker);
  for (const run of removed)
    phase(
      `removed what rehearsal ${run.runId} left behind (${run.why}): ${listSome(run.containers)}`,
    );
  for (const run of running)
    phase(
      `another rehearsal is running (run ${run.runId}, process ${run.owner}); left alone: ${listSome(run.containers)}`,
    );
  for (const run of unowned)
    phase(
      `rehearsal ${run.runId} of an older cascade (no owner label) left ${listSome(run.containers)}; left alone, as it may be someone's; if it is yours, remove it with: ${run.removeWith}`,
    );
  const taken = await takenPorts(fleet, docker);
  if (taken.length > 0) throw new RehearsalError(takenPortsMessage(taken));
}

const listSome = (names: string[]): string =>
  names.length === 0
    ? "volumes only"
    : `${names.slice(0, 8).join(", ")}${names.length > 8 ? ` and ${names.length - 8} more` : ""}`;

/** Removes the run's containers and volumes, unless it was healthy and --keep asked to keep them. */
async function removeOrKeep(run: Run, report: RehearsalReport | undefined): Promise<void> {
  const { options, docker, runId, t0 } = run;
  const failed = report === undefined || report.outcome === "failed";
  if (options.keep && !failed && !run.controller.signal.aborted) {
    const { containers, volumes } = await runResources(docker, runId);
    report.kept = {
      containers: containers.length,
      volumes: volumes.length,
      removeWith: removeCommands(runId),
    };
    return;
  }
  options.onEvent?.({
    kind: "phase",
    at: performance.now() - t0,
    message: "removing the rehearsal's containers",
  });
  const removed = await teardown(docker, runId);
  if (report) report.removed = removed;
}

/** One rehearsal under way. */
interface Run {
  options: RehearseOptions;
  docker: Docker;
  fleet: RehearsalFleet;
  /** The ordering the program planned with (the stack's, or --ordering). */
  ordering: string;
  setup: ScenarioSetup;
  minIntervalMs: number;
  runId: string;
  pollMs?: number;
  controller: AbortController;
  /** The clock zero (performance.now()). */
  t0: number;
}

async function requireEngine(docker: Docker, image: string): Promise<void> {
  const status = await engineStatus(docker, image);
  if (status === "no-engine") {
    throw new RehearsalError(
      "no Docker engine answers on the socket: start one with scripts/dockerd.sh start",
    );
  }
  if (status === "no-image") {
    throw new RehearsalError(
      `the stand-in image ${image} is missing: build it with scripts/build-standin-image.sh`,
    );
  }
}

/** What the program registers for the stack (host networking, no monitoring), as agents to start. */
async function programFleet(
  options: RehearseOptions,
): Promise<{ fleet: RehearsalFleet; ordering: string }> {
  const config: Record<string, unknown> = { networkMode: "host", monitoring: false };
  if (options.ordering) config.ordering = options.ordering;
  const run = await runProgram({ stack: options.stack, stackFile: options.stackFile, config });
  let fleet = rehearsalFleet(options.stack, run);
  if (fleet.agents.length === 0)
    throw new RehearsalError(
      `stack ${options.stack} registers no agent containers (is its target docker?)`,
    );
  if (options.only && options.only.length > 0) fleet = restrictFleet(fleet, options.only);
  return { fleet, ordering: (run.outputs.criticalPath as { ordering: string }).ordering };
}

async function bringUpAndReport(run: Run, image: string): Promise<RehearsalReport> {
  const { options, docker, fleet, setup, minIntervalMs, controller, t0 } = run;
  const result = await bringUp(fleet, {
    docker,
    runId: run.runId,
    scale: options.scale,
    minIntervalMs,
    startConcurrency: options.startConcurrency ?? defaultStartConcurrency(run.ordering),
    image,
    pollMs: run.pollMs,
    root: ROOT,
    extraEnv: (agent) => setup.env.get(agent.name) ?? {},
    signal: controller.signal,
    onEvent: options.onEvent ?? (() => undefined),
    t0,
  });
  let afterEffects: AfterEffect[] | undefined;
  if (options.scenario === "dependency-dies" && !result.failure && setup.target) {
    options.onEvent?.({
      kind: "phase",
      at: performance.now() - t0,
      message: `stopping ${setup.target}`,
    });
    afterEffects = await killAndWatch(
      docker,
      fleet,
      result.timelines,
      setup.target,
      options.scale,
      minIntervalMs,
      controller.signal,
      (message) => options.onEvent?.({ kind: "phase", at: performance.now() - t0, message }),
    );
  }
  return report(run, result, afterEffects);
}

function report(
  run: Run,
  result: BringUpResult,
  afterEffects: AfterEffect[] | undefined,
): RehearsalReport {
  const { options, fleet, setup, minIntervalMs } = run;
  const bounds = rehearsalBounds(fleet, options.scale, minIntervalMs);
  const measured = measuredPath(result.timelines);
  const inputsOf = new Map(fleet.agents.map((agent) => [agent.name, agent.inputs]));
  const boundOf = (agent: string): number =>
    firstPassingProbeMs(scaledTiming(inputsOf.get(agent)!, options.scale, minIntervalMs));
  return {
    runId: run.runId,
    stack: options.stack,
    ordering: run.ordering,
    scale: options.scale,
    minIntervalMs,
    pollMs: run.pollMs,
    scenario: options.scenario,
    target: setup.target,
    outcome: result.failure ? "failed" : "healthy",
    allHealthyMs: result.allHealthyMs,
    agents: result.timelines,
    waves: waveSummary(result.timelines),
    criticalPath: {
      measured,
      breakdown: pathBreakdown(result.timelines, measured.agents, boundOf),
      boundMs: bounds.best.ms,
      boundAgents: bounds.best.agents,
      planned: { agents: bounds.worst.agents, worstMs: bounds.worst.ms, bestMs: bounds.best.ms },
    },
    agentBounds: bounds.agents,
    failure: result.failure,
    prediction: setup.prediction,
    afterEffects,
    skipped: fleet.skipped,
  };
}
