import type Docker from "dockerode";
import {
  createOptions,
  firstPassingProbeMs,
  REHEARSAL_LABEL,
  rehearsalLabels,
  rehearsalName,
  scaledTiming,
  type CreateContext,
} from "./scale";
import { RehearsalAborted } from "./abort";
import { HealthEvents } from "./health-events";
import { pollHealthy, waitHealthy } from "./health-wait";
import { dependentsOf, env, type RehearsalAgent, type RehearsalFleet } from "./specs";
import { Directory } from "../targets/directory";
import { rehearsalBounds } from "./bounds";
import { StartGate } from "./start-gate";
import { uploadsArchive } from "./uploads";

/**
 * Brings a rehearsal fleet up in the order the Pulumi engine and the Docker provider would: an
 * agent's container is started once every container it depends on is healthy, then its health
 * watched (`wait`) until healthy or `waitTimeout`. Independent agents go in parallel. Unlike the
 * provider, which creates and starts in one step, containers are created ahead while the rollout
 * waits on health (as Compose v2 does), so a start at the gate pays only for the start. After the
 * first failure nothing more is created or started (the engine's default without
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
  /** The container stopped and its restart policy will not start it again. */
  | "exited"
  /** A failure stopped the rollout before its start (its container may have been created). */
  | "not-started";

export interface AgentTimeline {
  agent: string;
  group: string;
  wave: number;
  critical: boolean;
  dependsOn: string[];
  state: AgentState;
  /**
   * When its dependencies were all healthy and its start was asked for; this and the times
   * below in milliseconds since the rehearsal started.
   */
  requestedMs?: number;
  /** When its container was created: ahead of `requestedMs`, unless the start had to create it. */
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
  /** The container's exit code while it is not running. */
  exitCode?: number;
  /** Docker's RestartCount and the longest FailingStreak seen while waiting. */
  restarts: number;
  maxFailingStreak: number;
  /** Failed probes Docker logged after the start period (what counts toward `retries`). */
  failedProbes: number;
  lastHealthOutput?: string;
  /** How long each probe Docker logged took (its exec: Start to End). */
  probeExecMs: number[];
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
   * Container creates and starts in flight at once (`defaultStartConcurrency`). Starts go ahead
   * of creates made ahead; among starts ready together, the one with the longest path still
   * ahead goes first.
   */
  startConcurrency: number;
  /**
   * How the wait learns of health changes: Docker's health_status events, or, when set, an
   * inspect of the container every pollMs (as the provider does, once a second).
   */
  pollMs?: number;
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
  /** Agents that depend on it directly, and everything never started because of it. */
  waitingOnIt: string[];
  notStarted: string[];
}

export function bringUp(fleet: RehearsalFleet, options: BringUpOptions): Promise<BringUpResult> {
  return new BringUpRun(fleet, options).execute();
}

/** One bring-up: every agent started once its dependencies are healthy, until one fails. */
class BringUpRun {
  private readonly timelines: Map<string, AgentTimeline>;
  /** Per agent, whether it became healthy; its dependents wait for the answer. */
  private readonly done = new Directory<boolean>();
  private readonly gate: StartGate;
  /** Per agent, the longest path still ahead of it: who goes first through the gate. */
  private readonly ahead: Map<string, number>;
  /** By expected start, then longest path ahead: the order containers are created in ahead. */
  private readonly createOrder: RehearsalAgent[];
  private failure?: RolloutFailure;
  /** Per agent, its container's create once begun: ahead, or by its start. */
  private readonly creates = new Map<string, Promise<Docker.Container>>();
  private context!: Omit<CreateContext, "extraEnv">;
  private events?: HealthEvents;

  constructor(
    private readonly fleet: RehearsalFleet,
    private readonly options: BringUpOptions,
  ) {
    const timing = (agent: RehearsalAgent) =>
      scaledTiming(agent.inputs, options.scale, options.minIntervalMs);
    this.timelines = new Map(
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
          probeExecMs: [],
          waitTimeoutMs: timing(agent).waitTimeoutMs,
          startPeriodMs: timing(agent).startPeriodMs,
        },
      ]),
    );
    this.gate = new StartGate(options.startConcurrency);
    const cost = (agent: RehearsalAgent) => firstPassingProbeMs(timing(agent));
    this.ahead = pathAhead(fleet, cost);
    const { agents: bounds } = rehearsalBounds(fleet, options.scale, options.minIntervalMs);
    const expectedStart = new Map(
      fleet.agents.map((agent) => [agent.name, bounds[agent.name].bestMs - cost(agent)]),
    );
    this.createOrder = createOrder(fleet, expectedStart, this.ahead);
  }

  async execute(): Promise<BringUpResult> {
    const { fleet, options } = this;
    options.onEvent({ kind: "fleet", at: this.now(), agents: [...this.timelines.values()] });
    const agentByPort = new Map<string, string>();
    for (const agent of fleet.agents) {
      const port = env(agent.inputs, "CASCADE_HEALTH_PORT");
      if (port !== undefined) agentByPort.set(port, agent.name);
    }
    this.context = {
      runId: options.runId,
      scale: options.scale,
      minIntervalMs: options.minIntervalMs,
      image: options.image,
      agentByPort,
      volumes: await prepareVolumes(fleet, options),
    };
    if (options.pollMs === undefined)
      this.events = await HealthEvents.open(options.docker, `${REHEARSAL_LABEL}=${options.runId}`);
    const settled = await Promise.allSettled([
      ...fleet.agents.map((agent) => this.runAgent(agent)),
      this.createAhead(),
    ]).finally(() => this.events?.close());
    const aborted = settled.find((result) => result.status === "rejected");
    if (aborted) throw aborted.reason;
    // Interrupted between one agent's wait and the next's start: nothing was waiting to throw.
    if (options.signal.aborted) throw new RehearsalAborted();
    const list = [...this.timelines.values()];
    const failure = this.failure;
    if (failure)
      failure.notStarted = list.filter((t) => t.state === "not-started").map((t) => t.agent);
    const healthy = list.map((t) => t.healthyMs);
    return {
      timelines: list,
      failure,
      allHealthyMs: failure ? undefined : Math.max(0, ...healthy.map((ms) => ms ?? 0)),
    };
  }

  private now(): number {
    return Math.round(performance.now() - this.options.t0);
  }

  private readonly emit = (timeline: AgentTimeline, state: AgentState, detail?: string): void => {
    timeline.state = state;
    this.options.onEvent({ kind: "state", at: this.now(), agent: timeline, detail });
  };

  private async runAgent(agent: RehearsalAgent): Promise<void> {
    const timeline = this.timelines.get(agent.name)!;
    const outcomes = await Promise.all(agent.dependsOn.map((name) => this.done.get(name)));
    if (this.failure || this.options.signal.aborted || outcomes.some((ok) => !ok)) {
      this.emit(timeline, "not-started");
      return this.done.set(agent.name, false);
    }
    timeline.waitedOn = agent.dependsOn.reduce<string | undefined>((last, dependency) => {
      const at = this.timelines.get(dependency)!.healthyMs ?? 0;
      return last === undefined || at >= (this.timelines.get(last)!.healthyMs ?? 0)
        ? dependency
        : last;
    }, undefined);
    let ok = false;
    try {
      ok = await this.startAndWait(agent, timeline);
      if (!ok && !this.failure) this.failure = describeFailure(agent, timeline, this.fleet);
    } finally {
      // Also when interrupted: its dependents must learn it, or they would wait forever.
      this.done.set(agent.name, ok);
    }
  }

  /** Creates its container, once: a second call returns the first one's create. */
  private create(agent: RehearsalAgent): Promise<Docker.Container> {
    const begun = this.creates.get(agent.name);
    if (begun) return begun;
    const timeline = this.timelines.get(agent.name)!;
    const options = createOptions(agent, {
      ...this.context,
      extraEnv: this.options.extraEnv(agent),
    });
    const created = this.options.docker.createContainer(options).then((container) => {
      timeline.containerId = container.id;
      timeline.createdMs = this.now();
      return container;
    });
    this.creates.set(agent.name, created);
    return created;
  }

  /**
   * Creates the containers in the order their starts are expected, whenever no start waits at
   * the gate, until the rollout stops.
   */
  private async createAhead(): Promise<void> {
    for (const agent of this.createOrder) {
      if (this.stopped()) return;
      // A failed create is its agent's failure, reported when its start meets it again.
      await this.gate
        .whenIdle(async () => (this.stopped() ? undefined : this.create(agent)))
        .catch(() => undefined);
    }
  }

  private stopped(): boolean {
    return this.failure !== undefined || this.options.signal.aborted;
  }

  /** Starts its container (created now if not ahead), then waits until healthy or timed out. */
  private async startAndWait(agent: RehearsalAgent, timeline: AgentTimeline): Promise<boolean> {
    try {
      timeline.requestedMs = this.now();
      if (timeline.createdMs === undefined) this.emit(timeline, "creating");
      const container = await this.gate.run(this.ahead.get(agent.name)!, async () => {
        if (this.options.signal.aborted) throw new RehearsalAborted();
        const created = await this.create(agent);
        await created.start();
        return created;
      });
      timeline.startedMs = this.now();
      this.emit(timeline, "starting");
      const context = { t0: this.options.t0, signal: this.options.signal, emit: this.emit };
      const { pollMs } = this.options;
      return pollMs === undefined
        ? await waitHealthy(container, timeline, this.events!, context)
        : await pollHealthy(container, timeline, pollMs, context);
    } catch (error) {
      if (error instanceof RehearsalAborted) throw error;
      timeline.error = (error as Error).message;
      timeline.failedMs = this.now();
      this.emit(timeline, "unhealthy", timeline.error);
      return false;
    }
  }
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
    await docker.createVolume({ Name: name, Labels: rehearsalLabels(runId) });
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
      Labels: rehearsalLabels(runId),
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

/** The order to create containers ahead in: by expected start, then longest path ahead first. */
function createOrder(
  fleet: RehearsalFleet,
  expectedStart: Map<string, number>,
  ahead: Map<string, number>,
): RehearsalAgent[] {
  const by = (times: Map<string, number>, agent: RehearsalAgent): number => times.get(agent.name)!;
  return [...fleet.agents].sort(
    (a, b) => by(expectedStart, a) - by(expectedStart, b) || by(ahead, b) - by(ahead, a),
  );
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
    notStarted: [],
  };
}
