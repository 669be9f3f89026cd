import { levels, topologicalOrder } from "./graph";
import type { Fleet } from "./model";
import { healthTiming } from "./timing";

/**
 * `waves`: an agent starts when every agent of the previous wave is healthy (the seed's barrier),
 * and after its own dependencies inside its wave. `dependencies`: it starts when its own
 * dependencies are healthy, nothing more.
 */
export type Ordering = "waves" | "dependencies";
export const ORDERINGS: readonly Ordering[] = ["waves", "dependencies"];

export interface PlannedAgent {
  name: string;
  group: string;
  /** Declared wave, 1-based. */
  wave: number;
  /** Topological level in the dependency graph, 0-based. */
  level: number;
  /** The agents it waits for under this ordering: exactly the dependsOn edges a target creates. */
  dependsOn: string[];
  gpu: boolean;
  critical: boolean;
  bestSeconds: number;
  worstSeconds: number;
  /** Worst case: when it may start, and when it is healthy at the latest. */
  startBySeconds: number;
  readyBySeconds: number;
  /** The same with every agent at its best case. */
  earliestReadySeconds: number;
}

export interface PlannedWave {
  index: number;
  name: string;
  agents: string[];
  windowStartSeconds: number;
  windowEndSeconds: number;
  readyBySeconds: number;
}

export interface CriticalPath {
  agents: string[];
  seconds: number;
  /** The same path's total with every agent at its best case. */
  bestSeconds: number;
}

export interface Plan {
  host: string;
  ordering: Ordering;
  waves: PlannedWave[];
  agents: PlannedAgent[];
  criticalPath: CriticalPath;
  warnings: string[];
}

/** Plans a valid fleet (as `loadFleet` returns it): edges, worst and best timings, critical path. */
export function planFleet(fleet: Fleet, ordering: Ordering): Plan {
  const dependencies = new Map(fleet.agents.map((agent) => [agent.name, agent.dependsOn]));
  const { order, blocked } = topologicalOrder(
    fleet.agents.map((agent) => agent.name),
    dependencies,
  );
  if (blocked.length > 0) throw new Error(`dependency cycle among ${blocked.join(", ")}`);
  const level = levels(order, dependencies);

  const byName = new Map(fleet.agents.map((agent) => [agent.name, agent]));
  const waveMembers = fleet.waves.map(() => [] as string[]);
  for (const agent of fleet.agents) waveMembers[agent.wave - 1].push(agent.name);
  // The barrier before a wave is the nearest earlier wave that has agents.
  const barrierIndex = (wave: number): number => {
    let index = wave - 2;
    while (index >= 0 && waveMembers[index].length === 0) index--;
    return index;
  };

  const planned = new Map<string, PlannedAgent>();
  const slowestInput = new Map<string, string | undefined>();
  // Agents of one wave are planned after the whole previous wave, so the barrier's maximum is known.
  const planningOrder =
    ordering === "waves"
      ? [...order].sort((a, b) => byName.get(a)!.wave - byName.get(b)!.wave)
      : order;
  const waveReady = fleet.waves.map(() => ({
    worst: 0,
    best: 0,
    slowest: undefined as string | undefined,
  }));

  for (const name of planningOrder) {
    const agent = byName.get(name)!;
    const ownEdges =
      ordering === "waves"
        ? agent.dependsOn.filter((dependency) => byName.get(dependency)!.wave === agent.wave)
        : agent.dependsOn;
    let start = 0;
    let earliestStart = 0;
    let slowest: string | undefined;
    const barrier = ordering === "waves" ? waveReady[barrierIndex(agent.wave)] : undefined;
    if (barrier) {
      start = barrier.worst;
      earliestStart = barrier.best;
      slowest = barrier.slowest;
    }
    for (const dependency of ownEdges) {
      const before = planned.get(dependency)!;
      if (before.readyBySeconds > start) {
        start = before.readyBySeconds;
        slowest = dependency;
      }
      earliestStart = Math.max(earliestStart, before.earliestReadySeconds);
    }
    const { bestSeconds, worstSeconds } = healthTiming(agent.health);
    const plannedAgent: PlannedAgent = {
      name,
      group: agent.group,
      wave: agent.wave,
      level: level.get(name)!,
      dependsOn:
        ordering === "waves"
          ? [...(waveMembers[barrierIndex(agent.wave)] ?? []), ...ownEdges]
          : [...ownEdges],
      gpu: agent.gpu !== undefined,
      critical: agent.critical,
      bestSeconds,
      worstSeconds,
      startBySeconds: start,
      readyBySeconds: start + worstSeconds,
      earliestReadySeconds: earliestStart + bestSeconds,
    };
    planned.set(name, plannedAgent);
    slowestInput.set(name, slowest);
    const wave = waveReady[agent.wave - 1];
    if (wave.slowest === undefined || plannedAgent.readyBySeconds > wave.worst) {
      wave.worst = plannedAgent.readyBySeconds;
      wave.slowest = name;
    }
    wave.best = Math.max(wave.best, plannedAgent.earliestReadySeconds);
  }

  const agents = fleet.agents.map((agent) => planned.get(agent.name)!);
  return {
    host: fleet.host,
    ordering,
    waves: fleet.waves.map((wave) => ({
      index: wave.index,
      name: wave.name,
      agents: waveMembers[wave.index - 1],
      windowStartSeconds: wave.windowStartSeconds,
      windowEndSeconds: wave.windowEndSeconds,
      readyBySeconds: waveReady[wave.index - 1].worst,
    })),
    agents,
    criticalPath: criticalPath(agents, planned, slowestInput),
    warnings: windowWarnings(fleet, agents),
  };
}

function criticalPath(
  agents: PlannedAgent[],
  planned: ReadonlyMap<string, PlannedAgent>,
  slowestInput: ReadonlyMap<string, string | undefined>,
): CriticalPath {
  let last: PlannedAgent | undefined;
  for (const agent of agents) {
    if (!last || agent.readyBySeconds > last.readyBySeconds) last = agent;
  }
  const path: string[] = [];
  for (let name = last?.name; name !== undefined; name = slowestInput.get(name)) path.push(name);
  path.reverse();
  return {
    agents: path,
    seconds: last?.readyBySeconds ?? 0,
    bestSeconds: path.reduce((sum, name) => sum + planned.get(name)!.bestSeconds, 0),
  };
}

function windowWarnings(fleet: Fleet, agents: PlannedAgent[]): string[] {
  return agents
    .filter((agent) => agent.readyBySeconds > fleet.waves[agent.wave - 1].windowEndSeconds)
    .map((agent) => {
      const wave = fleet.waves[agent.wave - 1];
      return `${agent.name}: healthy by ${agent.readyBySeconds}s at worst, after its ${wave.name} window (${wave.windowStartSeconds}s-${wave.windowEndSeconds}s)`;
    });
}
