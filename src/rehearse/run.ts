import Docker from "dockerode";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { bringUp, RehearsalAborted, type ProgressEvent } from "./bringup";
import { runProgram } from "./capture";
import {
  bestCaseBound,
  measuredPath,
  pathBreakdown,
  waveSummary,
  type PlannedPath,
  type RehearsalReport,
} from "./report";
import { firstPassingProbeMs, intervalFloorMs, scaledTiming, STANDIN_IMAGE } from "./scale";
import { killAndWatch, setupScenario, type AfterEffect, type ScenarioName } from "./scenarios";
import { rehearsalFleet, restrictFleet } from "./specs";
import { teardown } from "./teardown";

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
  /** Health poll period; default 1 s x scale, between 100 and 1000 ms. */
  pollMs?: number;
  /** Container creates+starts in flight at once; default the host's CPUs (`bringUp`). */
  startConcurrency?: number;
  image?: string;
  /** Docker socket; default DOCKER_HOST (unix://) or /var/run/docker.sock. */
  socketPath?: string;
  onEvent?: (event: ProgressEvent) => void;
  /** Abort from outside (tests); SIGINT aborts too while `handleSigint` is set. */
  signal?: AbortSignal;
  handleSigint?: boolean;
}

export class RehearsalError extends Error {}

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

export function defaultPollMs(scale: number): number {
  return Math.min(1000, Math.max(100, Math.round(1000 * scale)));
}

export async function rehearse(options: RehearseOptions): Promise<RehearsalReport> {
  const docker = dockerClient(options.socketPath);
  const image = options.image ?? STANDIN_IMAGE;
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
  const config: Record<string, unknown> = { networkMode: "host", monitoring: false };
  if (options.ordering) config.ordering = options.ordering;
  const run = await runProgram({ stack: options.stack, stackFile: options.stackFile, config });
  let fleet = rehearsalFleet(options.stack, run);
  if (fleet.agents.length === 0)
    throw new RehearsalError(
      `stack ${options.stack} registers no agent containers (is its target docker?)`,
    );
  if (options.only && options.only.length > 0) fleet = restrictFleet(fleet, options.only);
  const planned = run.outputs.criticalPath as PlannedPath & { ordering: string };
  const minIntervalMs = options.minIntervalMs ?? intervalFloorMs(fleet.agents.length);
  const setup = setupScenario(
    fleet,
    options.scenario,
    options.scale,
    minIntervalMs,
    options.target,
  );

  const runId = randomBytes(3).toString("hex");
  const pollMs = options.pollMs ?? defaultPollMs(options.scale);
  const controller = new AbortController();
  options.signal?.addEventListener("abort", () => controller.abort(), { once: true });
  const onSigint = (): void => controller.abort();
  if (options.handleSigint) process.on("SIGINT", onSigint);
  const t0 = performance.now();
  let report: RehearsalReport | undefined;
  let removed: RehearsalReport["removed"];
  try {
    const result = await bringUp(fleet, {
      docker,
      runId,
      scale: options.scale,
      minIntervalMs,
      startConcurrency: options.startConcurrency,
      image,
      pollMs,
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
      );
    }
    const bound = bestCaseBound(fleet, options.scale, minIntervalMs);
    const measured = measuredPath(result.timelines);
    const inputsOf = new Map(fleet.agents.map((agent) => [agent.name, agent.inputs]));
    const boundOf = (agent: string): number =>
      firstPassingProbeMs(scaledTiming(inputsOf.get(agent)!, options.scale, minIntervalMs));
    report = {
      runId,
      stack: options.stack,
      ordering: planned.ordering,
      scale: options.scale,
      minIntervalMs,
      pollMs,
      scenario: options.scenario,
      target: setup.target,
      outcome: result.failure ? "failed" : "healthy",
      allHealthyMs: result.allHealthyMs,
      agents: result.timelines,
      waves: waveSummary(result.timelines),
      criticalPath: {
        measured,
        breakdown: pathBreakdown(result.timelines, measured.agents, boundOf),
        boundMs: bound.ms,
        boundAgents: bound.agents,
        planned: {
          agents: planned.agents,
          worstMs: Math.round(planned.seconds * 1000 * options.scale),
          bestMs: Math.round(planned.bestSeconds * 1000 * options.scale),
        },
      },
      failure: result.failure,
      prediction: setup.prediction,
      afterEffects,
      skipped: fleet.skipped,
    };
  } catch (error) {
    if (error instanceof RehearsalAborted)
      throw new RehearsalError("interrupted: removed everything the rehearsal created");
    throw error;
  } finally {
    if (options.handleSigint) process.off("SIGINT", onSigint);
    const failed = report === undefined || report.outcome === "failed";
    if (!options.keep || failed || controller.signal.aborted) {
      options.onEvent?.({
        kind: "phase",
        at: performance.now() - t0,
        message: "removing the rehearsal's containers",
      });
      removed = await teardown(docker, runId);
      if (report) report.removed = removed;
    }
  }
  return report;
}
