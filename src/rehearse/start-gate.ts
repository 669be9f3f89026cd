import { availableParallelism } from "node:os";

/**
 * Creates and starts in flight at once unless told otherwise. In the dependencies ordering one
 * agent is critical at each hop, and its start is fastest with little else starting beside it:
 * one per two CPUs (a start keeps dockerd, containerd and runc busy at once). In the waves
 * ordering every agent of a wave holds up the next wave, so starts share every CPU. Measured
 * on 2 CPUs in docs/rehearsal.md.
 */
export function defaultStartConcurrency(ordering: string, cpus = availableParallelism()): number {
  return ordering === "waves" ? cpus : Math.max(1, Math.floor(cpus / 2));
}

/**
 * At most `limit` pieces of work at once. Work queued with `run` goes first, highest priority
 * first; work queued with `whenIdle` only when nothing queued with `run` waits.
 */
export class StartGate {
  private active = 0;
  private readonly urgent: { priority: number; grant: () => void }[] = [];
  private readonly idle: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  run<T>(priority: number, work: () => Promise<T>): Promise<T> {
    return this.hold(work, (grant) => {
      this.urgent.push({ priority, grant });
      this.urgent.sort((a, b) => b.priority - a.priority);
    });
  }

  whenIdle<T>(work: () => Promise<T>): Promise<T> {
    return this.hold(work, (grant) => this.idle.push(grant));
  }

  private async hold<T>(work: () => Promise<T>, enqueue: (grant: () => void) => void): Promise<T> {
    await new Promise<void>((grant) => {
      enqueue(grant);
      // What is asked for in this turn of the event loop (the dependents of an agent that just
      // turned healthy) queues before the first is served, so the highest priority goes first.
      setImmediate(() => this.next());
    });
    try {
      return await work();
    } finally {
      this.active--;
      this.next();
    }
  }

  private next(): void {
    while (this.active < Math.max(1, this.limit)) {
      const grant = this.urgent.shift()?.grant ?? this.idle.shift();
      if (!grant) return;
      this.active++;
      grant();
    }
  }
}
