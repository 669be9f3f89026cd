import { firstPassingProbeMs, scaledTiming, worstCaseMs } from "./scale";
import type { RehearsalAgent, RehearsalFleet } from "./specs";

/**
 * The planner's timing model applied to what the rehearsal runs: its dependsOn edges (the
 * planner's, under the stack's ordering) with each agent's scaled and floored health timings
 * (`scaledTiming`), so the bounds agree with the intervals that actually ran.
 *
 * - best: each agent healthy at its first passing probe (`firstPassingProbeMs`): the bound
 *   the measured rollout is compared with. Engine work and the poll are not in it.
 * - worst: each agent healthy at the planner's worst case (`worstCaseMs`), the longest a
 *   rollout can take with every agent still healthy.
 */

export interface BoundPath {
  ms: number;
  agents: string[];
}

export interface RehearsalBounds {
  best: BoundPath;
  worst: BoundPath;
  /** Per agent, when it is healthy at the best and at the worst, from the rehearsal's start. */
  agents: Record<string, { bestMs: number; worstMs: number }>;
}

export function rehearsalBounds(
  fleet: RehearsalFleet,
  scale: number,
  minIntervalMs?: number,
): RehearsalBounds {
  const timingOf = (agent: RehearsalAgent) => scaledTiming(agent.inputs, scale, minIntervalMs);
  const best = longestPaths(fleet, (agent) => firstPassingProbeMs(timingOf(agent)));
  const worst = longestPaths(fleet, (agent) => worstCaseMs(timingOf(agent)));
  return {
    best: last(best),
    worst: last(worst),
    agents: Object.fromEntries(
      fleet.agents.map((agent) => [
        agent.name,
        { bestMs: best.get(agent.name)!.ms, worstMs: worst.get(agent.name)!.ms },
      ]),
    ),
  };
}

/** Per agent, the longest path ending with it (its dependsOn before it) by `cost`. */
function longestPaths(
  fleet: RehearsalFleet,
  cost: (agent: RehearsalAgent) => number,
): Map<string, BoundPath> {
  const byName = new Map(fleet.agents.map((agent) => [agent.name, agent]));
  const memo = new Map<string, BoundPath>();
  const visit = (name: string): BoundPath => {
    const known = memo.get(name);
    if (known) return known;
    const agent = byName.get(name)!;
    let before: BoundPath = { ms: 0, agents: [] };
    for (const dependency of agent.dependsOn) {
      const path = visit(dependency);
      if (path.ms > before.ms) before = path;
    }
    const path = { ms: before.ms + cost(agent), agents: [...before.agents, name] };
    memo.set(name, path);
    return path;
  };
  for (const agent of fleet.agents) visit(agent.name);
  return memo;
}

function last(paths: Map<string, BoundPath>): BoundPath {
  return [...paths.values()].reduce((a, b) => (b.ms > a.ms ? b : a), { ms: 0, agents: [] });
}
