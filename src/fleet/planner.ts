import { levels, topologicalOrder } from "./graph";
import type { Agent, Fleet } from "./model";
import { agentTiming, type AgentTiming } from "./timing";

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
  /** From its start until healthy (`agentTiming`): first probe, expected, Docker's limit. */
  bestSeconds: number;
  expectedSeconds: number;
  worstSeconds: number;
  /** Worst case: when it may start, and when it is healthy at the latest. */
  startBySeconds: number;
  readyBySeconds: number;
  /** When it is healthy with every agent at its expected time: what a user should see. */
  expectedReadySeconds: number;
  /** The same with every agent at its best case. */
  earliestReadySeconds: number;
}

export interface PlannedWave {
  index: number;
  name: string;
  agents: string[];
  windowStartSeconds: number;
  windowEndSeconds: number;
  /** When its last agent is healthy: at worst, expected, at best. */
  readyBySeconds: number;
  expectedReadySeconds: number;
  earliestReadySeconds: number;
}

/** The chain of agents that decides when the host is all healthy, at worst. */
export interface CriticalPath {
  agents: string[];
  seconds: number;
  /** The same path's total with every agent at its best case. */
  bestSeconds: number;
  /** The chain that decides it with every agent at its expected time, which may differ. */
  expected: { agents: string[]; seconds: number };
}

export interface Plan {
  host: string;
  ordering: Ordering;
  waves: PlannedWave[];
  agents: PlannedAgent[];
  criticalPath: CriticalPath;
  /** Agents expected to be healthy only after their wave's window (the worst case is no warning). */
  warnings: string[];
}

/**
 * Plans a valid fleet (as `loadFleet` returns it): edges, best, expected and worst timings, the
 * critical path. `timing` gives each agent's own times (default `agentTiming`; bench/startup
 * passes the rehearsal's scaled ones to compare the prediction with what it measures).
 */
export function planFleet(
  fleet: Fleet,
  ordering: Ordering,
  timing: (agent: Agent) => AgentTiming = agentTiming,
): Plan {
  const dependencies = new Map(fleet.agents.map((agent) => [agent.name, agent.dependsOn]));
  const { order, blocked } = topologicalOrder(
    fleet.agents.map((agent) => agent.name),
    dependencies,
  );
  if (blocked.length > 0) throw new Error(`dependency cycle among ${blocked.join(", ")}`);
  const planner = new AgentPlanner(fleet, ordering, levels(order, dependencies), timing);
  // Agents of one wave are planned after the whole previous wave, so the barrier's maximum is known.
  const planningOrder =
    ordering === "waves"
      ? [...order].sort((a, b) => planner.agent(a).wave - planner.agent(b).wave)
      : order;
  for (const name of planningOrder) planner.plan(name);

  const agents = fleet.agents.map((agent) => planner.planned.get(agent.name)!);
  return {
    host: fleet.host,
    ordering,
    waves: fleet.waves.map((wave) => {
      const ready = planner.waveReady[wave.index - 1];
      return {
        index: wave.index,
        name: wave.name,
        agents: planner.waveMembers[wave.index - 1],
        windowStartSeconds: wave.windowStartSeconds,
        windowEndSeconds: wave.windowEndSeconds,
        readyBySeconds: ready.worst.seconds,
        expectedReadySeconds: ready.expected.seconds,
        earliestReadySeconds: ready.best.seconds,
      };
    }),
    agents,
    criticalPath: criticalPath(agents, planner),
    warnings: windowWarnings(fleet, agents),
  };
}

const CASES = ["best", "expected", "worst"] as const;
type Case = (typeof CASES)[number];

/** Per case, a moment and the agent whose health decided it (none: the start). */
type Moment = Record<Case, { seconds: number; slowest?: string }>;

function start(): Moment {
  return { best: { seconds: 0 }, expected: { seconds: 0 }, worst: { seconds: 0 } };
}

function readyOf(planned: PlannedAgent): Record<Case, number> {
  return {
    best: planned.earliestReadySeconds,
    expected: planned.expectedReadySeconds,
    worst: planned.readyBySeconds,
  };
}

/** Plans one agent at a time, each after everything it waits for. */
class AgentPlanner {
  readonly planned = new Map<string, PlannedAgent>();
  /** Per agent and case, what it waited for last: the previous step of a critical path through it. */
  readonly slowestInput = new Map<string, Record<Case, string | undefined>>();
  readonly waveMembers: string[][];
  /** Per wave, when it is all healthy; `slowest` is set once it has an agent. */
  readonly waveReady: Moment[];
  private readonly byName: Map<string, Agent>;

  constructor(
    fleet: Fleet,
    private readonly ordering: Ordering,
    private readonly level: ReadonlyMap<string, number>,
    private readonly timing: (agent: Agent) => AgentTiming,
  ) {
    this.byName = new Map(fleet.agents.map((agent) => [agent.name, agent]));
    this.waveMembers = fleet.waves.map(() => [] as string[]);
    for (const agent of fleet.agents) this.waveMembers[agent.wave - 1].push(agent.name);
    this.waveReady = fleet.waves.map(start);
  }

  agent(name: string): Agent {
    return this.byName.get(name)!;
  }

  plan(name: string): void {
    const agent = this.agent(name);
    const ownEdges =
      this.ordering === "waves"
        ? agent.dependsOn.filter((dependency) => this.agent(dependency).wave === agent.wave)
        : agent.dependsOn;
    const barrier = this.ordering === "waves" ? this.barrierIndex(agent.wave) : -1;
    const begin = this.start(ownEdges, this.waveReady[barrier]);
    const own = this.timing(agent);
    const planned: PlannedAgent = {
      name,
      group: agent.group,
      wave: agent.wave,
      level: this.level.get(name)!,
      dependsOn:
        this.ordering === "waves"
          ? [...(this.waveMembers[barrier] ?? []), ...ownEdges]
          : [...ownEdges],
      gpu: agent.gpu !== undefined,
      critical: agent.critical,
      bestSeconds: own.bestSeconds,
      expectedSeconds: own.expectedSeconds,
      worstSeconds: own.worstSeconds,
      startBySeconds: begin.worst.seconds,
      readyBySeconds: begin.worst.seconds + own.worstSeconds,
      expectedReadySeconds: begin.expected.seconds + own.expectedSeconds,
      earliestReadySeconds: begin.best.seconds + own.bestSeconds,
    };
    this.planned.set(name, planned);
    this.slowestInput.set(name, {
      best: begin.best.slowest,
      expected: begin.expected.slowest,
      worst: begin.worst.slowest,
    });
    this.recordWave(planned);
  }

  /** When an agent may start, per case: after the barrier (waves) and its own edges. */
  private start(ownEdges: readonly string[], barrier: Moment | undefined): Moment {
    const moment = barrier ? structuredClone(barrier) : start();
    for (const dependency of ownEdges) {
      const ready = readyOf(this.planned.get(dependency)!);
      for (const c of CASES) {
        if (ready[c] > moment[c].seconds) moment[c] = { seconds: ready[c], slowest: dependency };
      }
    }
    return moment;
  }

  /** The barrier before a wave is the nearest earlier wave that has agents (-1: none). */
  private barrierIndex(wave: number): number {
    let index = wave - 2;
    while (index >= 0 && this.waveMembers[index].length === 0) index--;
    return index;
  }

  private recordWave(planned: PlannedAgent): void {
    const wave = this.waveReady[planned.wave - 1];
    const ready = readyOf(planned);
    for (const c of CASES) {
      if (wave[c].slowest === undefined || ready[c] > wave[c].seconds)
        wave[c] = { seconds: ready[c], slowest: planned.name };
    }
  }
}

function criticalPath(agents: PlannedAgent[], planner: AgentPlanner): CriticalPath {
  const worst = pathOf(agents, planner, "worst");
  return {
    ...worst,
    bestSeconds: worst.agents.reduce(
      (sum, name) => sum + planner.planned.get(name)!.bestSeconds,
      0,
    ),
    expected: pathOf(agents, planner, "expected"),
  };
}

/** The chain ending at the agent healthy last in this case, back through what each waited for. */
function pathOf(
  agents: PlannedAgent[],
  planner: AgentPlanner,
  c: Case,
): { agents: string[]; seconds: number } {
  let last: PlannedAgent | undefined;
  for (const agent of agents) {
    if (!last || readyOf(agent)[c] > readyOf(last)[c]) last = agent;
  }
  const path: string[] = [];
  for (let name = last?.name; name !== undefined; name = planner.slowestInput.get(name)![c])
    path.push(name);
  path.reverse();
  return { agents: path, seconds: last ? readyOf(last)[c] : 0 };
}

function windowWarnings(fleet: Fleet, agents: PlannedAgent[]): string[] {
  return agents
    .filter((agent) => agent.expectedReadySeconds > fleet.waves[agent.wave - 1].windowEndSeconds)
    .map((agent) => {
      const wave = fleet.waves[agent.wave - 1];
      return `${agent.name}: expected healthy at ${agent.expectedReadySeconds}s, after its ${wave.name} window (${wave.windowStartSeconds}s-${wave.windowEndSeconds}s); ${agent.readyBySeconds}s at worst`;
    });
}
