import type Docker from "dockerode";
import type { AgentState, AgentTimeline } from "./bringup";
import { RehearsalAborted, sleep } from "./abort";
import type { HealthEvents } from "./health-events";

/**
 * The provider's `wait`: from the container's start until Docker reports it healthy or its
 * waitTimeout passes. Docker's `health_status` events say when the status changes; an inspect
 * then reads the details (the probe log, restarts) into the agent's timeline.
 */

export interface HealthWaitContext {
  /** The clock zero of the timeline (performance.now()). */
  t0: number;
  signal: AbortSignal;
  emit: (timeline: AgentTimeline, state: AgentState, detail?: string) => void;
}

interface HealthLogEntry {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

interface DockerHealth {
  Status: string;
  FailingStreak: number;
  Log?: HealthLogEntry[];
}

export async function waitHealthy(
  container: Docker.Container,
  timeline: AgentTimeline,
  events: HealthEvents,
  context: HealthWaitContext,
): Promise<boolean> {
  const record = new HealthRecord(timeline, context.t0, context.emit);
  record.read(await container.inspect());
  const expired = AbortSignal.timeout(timeline.waitTimeoutMs);
  const stop = AbortSignal.any([context.signal, expired]);
  for (;;) {
    let event;
    try {
      event = await events.next(container.id, stop);
    } catch (error) {
      if (context.signal.aborted) throw new RehearsalAborted();
      if (!expired.aborted) throw error;
      record.read(await container.inspect());
      timedOut(timeline, context);
      return false;
    }
    const seenMs = Math.round(event.receivedAt - context.t0);
    record.read(await container.inspect());
    if (event.status === "healthy") {
      healthyAt(seenMs, record, timeline, context);
      return true;
    }
    context.emit(
      timeline,
      event.status === "unhealthy" ? "unhealthy" : "starting",
      `docker health ${event.status}`,
    );
  }
}

/** The same by inspecting every `pollMs`, as the provider does (once a second). */
export async function pollHealthy(
  container: Docker.Container,
  timeline: AgentTimeline,
  pollMs: number,
  context: HealthWaitContext,
): Promise<boolean> {
  const record = new HealthRecord(timeline, context.t0, context.emit);
  const deadline = performance.now() + timeline.waitTimeoutMs;
  let seen: string | undefined;
  for (;;) {
    if (context.signal.aborted) throw new RehearsalAborted();
    record.read(await container.inspect());
    const status = timeline.dockerHealth;
    if (status !== undefined && status !== seen) {
      seen = status;
      if (status === "healthy") {
        healthyAt(Math.round(performance.now() - context.t0), record, timeline, context);
        return true;
      }
      context.emit(
        timeline,
        status === "unhealthy" ? "unhealthy" : "starting",
        `docker health ${status}`,
      );
    }
    if (performance.now() >= deadline) {
      timedOut(timeline, context);
      return false;
    }
    await sleep(Math.min(pollMs, Math.max(0, deadline - performance.now())), context.signal);
  }
}

/** Docker says healthy, seen at `seenMs`: healthy, or degraded when the probe said so. */
function healthyAt(
  seenMs: number,
  record: HealthRecord,
  timeline: AgentTimeline,
  context: HealthWaitContext,
): void {
  record.healthy(seenMs);
  context.emit(
    timeline,
    timeline.probeStatus === "degraded" ? "degraded" : "healthy",
    timeline.probeStatus,
  );
}

function timedOut(timeline: AgentTimeline, context: HealthWaitContext): void {
  timeline.failedMs = Math.round(performance.now() - context.t0);
  const exited = isExited(timeline.containerStatus);
  const state = exited
    ? `container exited with code ${timeline.exitCode}`
    : `docker health ${timeline.dockerHealth ?? "none"}, container ${timeline.containerStatus}`;
  timeline.error =
    `not healthy within its waitTimeout (${(timeline.waitTimeoutMs / 1000).toFixed(1)}s scaled): ${state}` +
    (timeline.restarts > 0 ? `, restarted ${timeline.restarts} times` : "");
  context.emit(timeline, exited ? "exited" : "timeout", timeline.error);
}

/** Stopped for good: a container its restart policy will start again is "restarting". */
const isExited = (status: string | undefined): boolean => status === "exited" || status === "dead";

function exitDetail(timeline: AgentTimeline): string {
  const restarts = timeline.restarts > 0 ? ` after ${timeline.restarts} restarts` : "";
  return `exited with code ${timeline.exitCode}${restarts}, not restarted again; like the provider, the rollout waits out its waitTimeout`;
}

/** Folds what inspects of one container say into its timeline. */
class HealthRecord {
  private readonly seenProbes = new Set<string>();
  private startedAt?: number;
  private log: HealthLogEntry[] = [];

  constructor(
    private readonly timeline: AgentTimeline,
    private readonly t0: number,
    private readonly emit: HealthWaitContext["emit"],
  ) {}

  /** Docker's timestamps are wall-clock; the timeline counts from t0 (performance.now()). */
  private toTimeline(iso: string): number {
    return Math.round(Date.parse(iso) - performance.timeOrigin - this.t0);
  }

  read(info: Docker.ContainerInspectInfo): void {
    const { timeline } = this;
    this.startedAt ??= Date.parse(info.State.StartedAt);
    timeline.processStartedMs ??= this.toTimeline(info.State.StartedAt);
    const restarted = info.RestartCount > timeline.restarts;
    const statusChanged = info.State.Status !== timeline.containerStatus;
    timeline.restarts = info.RestartCount;
    timeline.containerStatus = info.State.Status;
    timeline.exitCode = info.State.Status === "running" ? undefined : info.State.ExitCode;
    const exited = isExited(info.State.Status);
    if (exited && statusChanged) this.emit(timeline, "exited", exitDetail(timeline));
    else if (restarted) this.emit(timeline, "starting", `restart ${timeline.restarts} (it exited)`);
    const health = info.State.Health as DockerHealth | undefined;
    if (!health || exited) return;
    timeline.dockerHealth = health.Status;
    this.log = health.Log ?? [];
    const last = this.log[this.log.length - 1];
    if (last) {
      timeline.lastHealthOutput = last.Output.trim();
      timeline.probeStatus =
        probeVerdict(last.Output) ?? (last.ExitCode === 0 ? "healthy" : "unhealthy");
    }
    let streak = 0;
    for (const entry of this.log) {
      const counts = Date.parse(entry.Start) >= this.startedAt + timeline.startPeriodMs;
      streak = entry.ExitCode !== 0 && counts ? streak + 1 : 0;
      timeline.maxFailingStreak = Math.max(timeline.maxFailingStreak, streak, health.FailingStreak);
      if (this.seenProbes.has(entry.Start)) continue;
      this.seenProbes.add(entry.Start);
      timeline.probeExecMs.push(Date.parse(entry.End) - Date.parse(entry.Start));
      if (entry.ExitCode !== 0 && counts) timeline.failedProbes++;
    }
  }

  /** Healthy, as seen at `seenMs`: and the probe that passed first after the start. */
  healthy(seenMs: number): void {
    this.timeline.healthyMs = seenMs;
    const passing = this.log.find(
      (entry) => entry.ExitCode === 0 && Date.parse(entry.Start) >= this.startedAt!,
    );
    if (passing)
      this.timeline.passingProbe = {
        startMs: this.toTimeline(passing.Start),
        endMs: this.toTimeline(passing.End),
      };
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
