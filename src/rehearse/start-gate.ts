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
 * Per agent, the longest path through it by `cost`, itself included, following `next` (its
 * dependents: the path ahead of it; its dependencies: the path up to and through it).
 */
export function longestPaths<Agent extends { name: string }>(
  agents: Agent[],
  next: (agent: Agent) => string[],
  cost: (agent: Agent) => number,
): Map<string, number> {
  const byName = new Map(agents.map((agent) => [agent.name, agent]));
  const memo = new Map<string, number>();
  const visit = (name: string): number => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    const agent = byName.get(name)!;
    const total = cost(agent) + Math.max(0, ...next(agent).map(visit));
    memo.set(name, total);
    return total;
  };
  for (const agent of agents) visit(agent.name);
  return memo;
}

/** At most `limit` holders; waiters are served highest priority first. */
export class StartGate {
  private active = 0;
  private readonly waiting: { priority: number; grant: () => void }[] = [];
  constructor(private readonly limit: number) {}

  private acquire(priority: number): Promise<() => void> {
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

  async run<T>(priority: number, work: () => Promise<T>): Promise<T> {
    const release = await this.acquire(priority);
    try {
      return await work();
    } finally {
      release();
    }
  }

  private next(): void {
    while (this.active < Math.max(1, this.limit) && this.waiting.length > 0)
      this.waiting.shift()!.grant();
  }
}
