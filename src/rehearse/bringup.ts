import type Docker from "dockerode";
import { availableParallelism } from "node:os";
import {
  createOptions,
  firstPassingProbeMs,
  REHEARSAL_LABEL,
  rehearsalName,
  scaledTiming,
  type CreateContext,
} from "./scale";
import { dependentsOf, env, type RehearsalAgent, type RehearsalFleet } from "./specs";
import { uploadsArchive } from "./uploads";

/**
 * Brings a rehearsal fleet up the way the Docker provider and the Pulumi engine would: an
 * agent's container is created once every container it depends on is healthy, then started,
 * then its health polled (`wait`) until healthy or `waitTimeout`. Independent agents go in
 * parallel. After the first failure no new container is created (the engine's default without
 * --continue-on-error); the ones already waiting finish their wait.
 */

export type AgentState =
  | "waiting"
  | "creating"
  | "starting"
  | "healthy"
  | "degraded"
  | "unhealthy"
  | "timeout"
  | "not-created";

export interface AgentTimeline {
  agent: string;
  group: string;
  wave: number;
  critical: boolean;
  dependsOn: string[];
  state: AgentState;
  /** Milliseconds since the rehearsal started. */
  /** When its dependencies were all healthy and its create was issued. */
  requestedMs?: number;
  createdMs?: number;
  startedMs?: number;
  healthyMs?: number;
  failedMs?: number;
  /** Docker's own times (its clock, same host): the process start and the first passing probe. */
  processStartedMs?: number;
  passingProbe?: { startMs: number; endMs: number };
  /** The dependency that became healthy last: the one it actually waited on. */
  waitedOn?: string;
  /** Docker's health status as last seen (starting / healthy / unhealthy), and the container's. */
  dockerHealth?: string;
  containerStatus?: string;
  /** Docker's RestartCount and the longest FailingStreak seen while waiting. */
  restarts: number;
  maxFailingStreak: number;
  /** Failed probes Docker logged after the start period (what counts toward `retries`). */
  failedProbes: number;
  lastHealthOutput?: string;
  /** The progressive probe's own verdict (healthy / degraded / unhealthy), from its JSON line. */
  probeStatus?: string;
  waitTimeoutMs: number;
  startPeriodMs: number;
  containerId?: string;
  error?: string;
}

export type ProgressEvent =
  | { kind: "fleet"; at: number; agents: AgentTimeline[] }
  | { kind: "state"; at: number; agent: AgentTimeline; detail?: string }
  | { kind: "phase"; at: number; message: string };

export interface BringUpOptions {
  docker: Docker;
  runId: string;
  scale: number;
  /** The fleet's interval floor (`intervalFloorMs`). */
  minIntervalMs: number;
  image: string;
  /**
   * Container creates+starts in flight at once (default: the host's CPUs). When several agents
   * become ready to create together, the one with the longest path still ahead goes first.
   */
  startConcurrency?: number;
  /** Milliseconds between health polls of one container (the provider: 1000). */
  pollMs: number;
  root: string;
  /** Per agent, extra stand-in environment (scenarios). */
  extraEnv: (agent: RehearsalAgent) => Record<string, string>;
  signal: AbortSignal;
  onEvent: (event: ProgressEvent) => void;
  /** The clock zero (performance.now()). */
  t0: number;
}

export interface BringUpResult {
  timelines: AgentTimeline[];
  /** Milliseconds from the start until the last agent was healthy (undefined when one failed). */
  allHealthyMs?: number;
  failure?: RolloutFailure;
}

export interface RolloutFailure {
  agent: string;
  message: string;
  lastHealthOutput?: string;
  /** Agents that depend on it directly, and everything left uncreated because of it. */
  waitingOnIt: string[];
  notCreated: string[];
}

export class RehearsalAborted extends Error {
  constructor() {
    super("rehearsal interrupted");
  }
}

export async function bringUp(
  fleet: RehearsalFleet,
  options: BringUpOptions,
): Promise<BringUpResult> {
  const { docker, runId, t0 } = options;
  const now = (): number => Math.round(performance.now() - t0);
  const timelines = new Map<string, AgentTimeline>(
    fleet.agents.map((agent) => [
      agent.name,
      {
        agent: agent.name,
        group: agent.group,
        wave: agent.wave,
        critical: agent.critical,
        dependsOn: agent.dependsOn,
        state: "waiting",
        restarts: 0,
        maxFailingStreak: 0,
        failedProbes: 0,
        waitTimeoutMs: scaledTiming(agent.inputs, options.scale, options.minIntervalMs)
          .waitTimeoutMs,
        startPeriodMs: scaledTiming(agent.inputs, options.scale, options.minIntervalMs)
          .startPeriodMs,
      },
    ]),
  );
  const emit = (timeline: AgentTimeline, state: AgentState, detail?: string): void => {
    timeline.state = state;
    options.onEvent({ kind: "state", at: now(), agent: timeline, detail });
  };

  options.onEvent({ kind: "fleet", at: now(), agents: [...timelines.values()] });
  const volumes = await prepareVolumes(fleet, options);
  const agentByPort = new Map<string, string>();
  for (const agent of fleet.agents) {
    const port = env(agent.inputs, "CASCADE_HEALTH_PORT");
    if (port !== undefined) agentByPort.set(port, agent.name);
  }

  const done = new Map<string, { promise: Promise<boolean>; resolve: (ok: boolean) => void }>();
  for (const agent of fleet.agents) {
    let resolve!: (ok: boolean) => void;
    const promise = new Promise<boolean>((r) => (resolve = r));
    done.set(agent.name, { promise, resolve });
  }
  let failure: RolloutFailure | undefined;
  let stopped = false;
  const gate = new StartGate(options.startConcurrency ?? availableParallelism());
  const ahead = pathAhead(fleet, (agent) =>
    firstPassingProbeMs(scaledTiming(agent.inputs, options.scale, options.minIntervalMs)),
  );

  const runAgent = async (agent: RehearsalAgent): Promise<void> => {
    const timeline = timelines.get(agent.name)!;
    const outcomes = await Promise.all(
      agent.dependsOn.map((dependency) => done.get(dependency)!.promise),
    );
    if (stopped || options.signal.aborted || outcomes.some((ok) => !ok)) {
      emit(timeline, "not-created");
      return done.get(agent.name)!.resolve(false);
    }
    timeline.waitedOn = agent.dependsOn.reduce<string | undefined>((last, dependency) => {
      const at = timelines.get(dependency)!.healthyMs ?? 0;
      return last === undefined || at >= (timelines.get(last)!.healthyMs ?? 0) ? dependency : last;
    }, undefined);
    const context: CreateContext = {
      runId,
      scale: options.scale,
      minIntervalMs: options.minIntervalMs,
      image: options.image,
      agentByPort,
      volumes,
      extraEnv: options.extraEnv(agent),
    };
    let ok = false;
    try {
      timeline.requestedMs = now();
      const release = await gate.acquire(ahead.get(agent.name) ?? 0);
      let container: Docker.Container;
      try {
        emit(timeline, "creating");
        container = await docker.createContainer(createOptions(agent, context));
        timeline.containerId = container.id;
        timeline.createdMs = now();
        await container.start();
        timeline.startedMs = now();
      } finally {
        release();
      }
      emit(timeline, "starting");
      ok = await waitHealthy(container, timeline, options, emit, now);
    } catch (error) {
      if (error instanceof RehearsalAborted) throw error;
      timeline.error = (error as Error).message;
      timeline.failedMs = now();
      emit(timeline, "unhealthy", timeline.error);
    }
    if (!ok && !failure) {
      stopped = true;
      failure = describeFailure(agent, timeline, fleet);
    }
    done.get(agent.name)!.resolve(ok);
  };

  const settled = await Promise.allSettled(fleet.agents.map(runAgent));
  const aborted = settled.find((result) => result.status === "rejected");
  if (aborted) throw aborted.reason;
  const list = [...timelines.values()];
  if (failure)
    failure.notCreated = list.filter((t) => t.state === "not-created").map((t) => t.agent);
  const healthy = list.map((t) => t.healthyMs);
  return {
    timelines: list,
    failure,
    allHealthyMs: failure ? undefined : Math.max(0, ...healthy.map((ms) => ms ?? 0)),
  };
}

/** The volumes the agents mount, filled through the never-started seeder as the provider does. */
async function prepareVolumes(
  fleet: RehearsalFleet,
  options: BringUpOptions,
): Promise<Map<string, string>> {
  const { docker, runId } = options;
  const volumes = new Map<string, string>();
  for (const agent of fleet.agents) {
    for (const volume of agent.inputs.volumes ?? [])
      volumes.set(volume.volumeName, rehearsalName(volume.volumeName, runId));
  }
  for (const name of volumes.values()) {
    await docker.createVolume({ Name: name, Labels: { [REHEARSAL_LABEL]: runId } });
  }
  const seeder = fleet.seeder;
  if (seeder) {
    options.onEvent({
      kind: "phase",
      at: performance.now() - options.t0,
      message: `uploading ${seeder.inputs.uploads?.length ?? 0} files into the files volume`,
    });
    const container = await docker.createContainer({
      name: rehearsalName(seeder.inputs.name, runId),
      Image: options.image,
      Entrypoint: seeder.inputs.command ?? ["true"],
      Labels: { [REHEARSAL_LABEL]: runId },
      HostConfig: {
        NetworkMode: "none",
        Mounts: (seeder.inputs.volumes ?? []).map((volume) => ({
          Type: "volume" as const,
          Source: volumes.get(volume.volumeName) ?? rehearsalName(volume.volumeName, runId),
          Target: volume.containerPath,
        })),
      },
    });
    await container.putArchive(uploadsArchive(seeder.inputs.uploads ?? [], options.root), {
      path: "/",
    });
  }
  return volumes;
}

interface HealthLogEntry {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

async function waitHealthy(
  container: Docker.Container,
  timeline: AgentTimeline,
  options: BringUpOptions,
  emit: (timeline: AgentTimeline, state: AgentState, detail?: string) => void,
  now: () => number,
): Promise<boolean> {
  const deadline = performance.now() + timeline.waitTimeoutMs;
  // Docker's timestamps are wall-clock; the timeline counts from t0 (performance.now()).
  const wallToTimeline = (iso: string): number =>
    Math.round(Date.parse(iso) - performance.timeOrigin - options.t0);
  const seenProbes = new Set<string>();
  let lastHealth: string | undefined;
  let startedAt: number | undefined;
  for (;;) {
    if (options.signal.aborted) throw new RehearsalAborted();
    const info = await container.inspect();
    const health = info.State.Health as
      { Status: string; FailingStreak: number; Log?: HealthLogEntry[] } | undefined;
    startedAt ??= Date.parse(info.State.StartedAt);
    timeline.processStartedMs ??= wallToTimeline(info.State.StartedAt);
    timeline.restarts = info.RestartCount;
    timeline.containerStatus = info.State.Status;
    if (health) {
      timeline.dockerHealth = health.Status;
      timeline.maxFailingStreak = Math.max(timeline.maxFailingStreak, health.FailingStreak);
      const log = health.Log ?? [];
      const last = log[log.length - 1];
      if (last) {
        timeline.lastHealthOutput = last.Output.trim();
        timeline.probeStatus =
          probeVerdict(last.Output) ?? (last.ExitCode === 0 ? "healthy" : "unhealthy");
      }
      for (const entry of log) {
        if (seenProbes.has(entry.Start)) continue;
        seenProbes.add(entry.Start);
        if (entry.ExitCode !== 0 && Date.parse(entry.Start) >= startedAt + timeline.startPeriodMs) {
          timeline.failedProbes++;
        }
      }
      if (health.Status !== lastHealth) {
        lastHealth = health.Status;
        if (health.Status === "healthy") {
          timeline.healthyMs = now();
          const passing = log.find(
            (entry) => entry.ExitCode === 0 && Date.parse(entry.Start) >= startedAt!,
          );
          if (passing)
            timeline.passingProbe = {
              startMs: wallToTimeline(passing.Start),
              endMs: wallToTimeline(passing.End),
            };
          emit(
            timeline,
            timeline.probeStatus === "degraded" ? "degraded" : "healthy",
            timeline.probeStatus,
          );
          return true;
        }
        emit(
          timeline,
          health.Status === "unhealthy" ? "unhealthy" : "starting",
          `docker health ${health.Status}`,
        );
      }
    }
    if (performance.now() >= deadline) {
      timeline.failedMs = now();
      timeline.error =
        `not healthy within its waitTimeout (${(timeline.waitTimeoutMs / 1000).toFixed(1)}s scaled): ` +
        `docker health ${timeline.dockerHealth ?? "none"}, container ${timeline.containerStatus}` +
        (timeline.restarts > 0 ? `, restarted ${timeline.restarts} times` : "");
      emit(timeline, "timeout", timeline.error);
      return false;
    }
    await sleep(
      Math.min(options.pollMs, Math.max(0, deadline - performance.now())),
      options.signal,
    );
  }
}

/** Per agent, the longest path from it to the end of the fleet (itself included), by `cost`. */
function pathAhead(
  fleet: RehearsalFleet,
  cost: (agent: RehearsalAgent) => number,
): Map<string, number> {
  const dependents = dependentsOf(fleet);
  const byName = new Map(fleet.agents.map((agent) => [agent.name, agent]));
  const memo = new Map<string, number>();
  const visit = (name: string): number => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    const after = Math.max(0, ...(dependents.get(name) ?? []).map(visit));
    const total = cost(byName.get(name)!) + after;
    memo.set(name, total);
    return total;
  };
  for (const agent of fleet.agents) visit(agent.name);
  return memo;
}

/** At most `limit` holders; waiters are served highest priority first. */
class StartGate {
  private active = 0;
  private readonly waiting: { priority: number; grant: () => void }[] = [];
  constructor(private readonly limit: number) {}

  acquire(priority: number): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = (): void => {
        this.active++;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.active--;
          this.next();
        });
      };
      this.waiting.push({ priority, grant });
      this.waiting.sort((a, b) => b.priority - a.priority);
      this.next();
    });
  }

  private next(): void {
    while (this.active < Math.max(1, this.limit) && this.waiting.length > 0)
      this.waiting.shift()!.grant();
  }
}

/** The progressive probe prints one JSON line with its overall status. */
export function probeVerdict(output: string): string | undefined {
  try {
    const parsed = JSON.parse(output.trim().split("\n").pop() ?? "") as { status?: unknown };
    return typeof parsed.status === "string" ? parsed.status : undefined;
  } catch {
    return undefined;
  }
}

function describeFailure(
  agent: RehearsalAgent,
  timeline: AgentTimeline,
  fleet: RehearsalFleet,
): RolloutFailure {
  const waitingOnIt = dependentsOf(fleet).get(agent.name) ?? [];
  return {
    agent: agent.name,
    message: `${agent.name} ${timeline.error ?? "did not become healthy"}`,
    lastHealthOutput: timeline.lastHealthOutput,
    waitingOnIt,
    notCreated: [],
  };
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new RehearsalAborted());
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new RehearsalAborted());
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
