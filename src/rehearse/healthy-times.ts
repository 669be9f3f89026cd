import type Docker from "dockerode";
import { LABELS } from "../docker/container-spec";
import { HealthEvents, type HealthEvent } from "./health-events";
import { REHEARSAL_LABEL } from "./scale";

/**
 * When each container of a rehearsal run (label cascade.rehearsal=<run id>) first turned
 * healthy, by Docker's events, whatever created it: Compose or `pulumi up` (bench/startup).
 */

/** Milliseconds from the caller's clock zero. */
export interface AgentTimes {
  agent: string;
  wave: number;
  /** When its healthy event reached this process. */
  healthyMs?: number;
  /** Docker's own times (its clock, same host): the process start and the health change. */
  startedMs?: number;
  dockerHealthyMs?: number;
}

export class HealthyTimes {
  private readonly firstHealthy = new Map<string, HealthEvent>();
  private allHealthy!: () => void;
  private readonly everyone = new Promise<void>((resolve) => (this.allHealthy = resolve));
  private events?: HealthEvents;

  private constructor(
    private readonly docker: Docker,
    private readonly runId: string,
    private readonly count: number,
  ) {}

  /** Starts watching before the first container is created; `count` containers are expected. */
  static async watch(docker: Docker, runId: string, count: number): Promise<HealthyTimes> {
    const times = new HealthyTimes(docker, runId, count);
    times.events = await HealthEvents.open(docker, `${REHEARSAL_LABEL}=${runId}`, (event) =>
      times.observe(event),
    );
    return times;
  }

  get healthy(): number {
    return this.firstHealthy.size;
  }

  /** Whether all `count` were healthy within `ms`. */
  async allWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      this.everyone.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
    ]).finally(() => clearTimeout(timer));
  }

  /** Per agent (its container's `cascade.agent` label), its times since `t0` (performance.now()). */
  async agents(t0: number, agents: { agent: string; wave: number }[]): Promise<AgentTimes[]> {
    const wallToRun = (wallMs: number): number => Math.round(wallMs - performance.timeOrigin - t0);
    const byAgent = new Map<string, AgentTimes>(agents.map((agent) => [agent.agent, { ...agent }]));
    const containers = await this.docker.listContainers({
      all: true,
      filters: { label: [`${REHEARSAL_LABEL}=${this.runId}`] },
    });
    for (const container of containers) {
      const entry = byAgent.get(container.Labels[LABELS.agent] ?? "");
      if (!entry) continue;
      const info = await this.docker.getContainer(container.Id).inspect();
      entry.startedMs = wallToRun(Date.parse(info.State.StartedAt));
      const healthy = this.firstHealthy.get(container.Id);
      if (healthy) {
        entry.healthyMs = Math.round(healthy.receivedAt - t0);
        entry.dockerHealthyMs = wallToRun(healthy.dockerMs);
      }
    }
    return [...byAgent.values()];
  }

  close(): void {
    this.events?.close();
  }

  private observe(event: HealthEvent): void {
    if (event.status !== "healthy" || this.firstHealthy.has(event.id)) return;
    this.firstHealthy.set(event.id, event);
    if (this.firstHealthy.size === this.count) this.allHealthy();
  }
}
