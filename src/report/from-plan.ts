import { formatDuration } from "../fleet/duration";
import type { Fleet } from "../fleet/model";
import type { Plan } from "../fleet/planner";
import { edgesToDraw } from "./edges";
import type { ReportAgent, ReportData, ReportWave } from "./model";

/**
 * `cascade plan --report`: the plan drawn. Each bar runs from when the agent may start to when it
 * is healthy at the latest (the planner's worst case), with its best case marked; nothing ran.
 */
export function planReportData(plan: Plan, fleet: Fleet, stack: string | undefined): ReportData {
  const placeOf = agentDescriptions(fleet);
  const agents = plan.agents.map((agent): ReportAgent => ({
    ...placeOf(agent),
    start: agent.startBySeconds,
    end: agent.readyBySeconds,
    state: "planned",
    best: agent.earliestReadySeconds,
    worst: agent.readyBySeconds,
  }));
  const graph = dependencyGraph(agents, plan.ordering);
  const bestAll = Math.max(0, ...plan.agents.map((agent) => agent.earliestReadySeconds));
  const path = plan.criticalPath;
  return {
    kind: "plan",
    title: `Startup plan of ${stack ? `stack ${stack}` : `host ${plan.host}`}`,
    subtitle: `${plan.agents.length} agents in ${plan.waves.length} waves, ordering "${plan.ordering}"; no agent ran: bars are the planner's worst case`,
    timeAxis: "seconds after the rollout starts (planner's worst case)",
    waves: seedWaves(plan, 1),
    agents,
    edges: graph.edges,
    wavesAreBarriers: graph.wavesAreBarriers,
    criticalPath: { label: "critical path (worst case)", agents: path.agents },
    marks: [
      { label: `best case ${formatDuration(bestAll)}`, seconds: bestAll, kind: "best" },
      { label: `worst case ${formatDuration(path.seconds)}`, seconds: path.seconds, kind: "worst" },
    ],
    figures: [
      ["agents", String(plan.agents.length)],
      ["all healthy, best case", formatDuration(bestAll)],
      ["all healthy, worst case", formatDuration(path.seconds)],
      ["critical path", `${path.agents.length} agents`],
    ],
    notes: [...graph.notes, ...plan.warnings],
  };
}

/** The seed's wave windows, times `scale` (a rehearsal's axis is scaled). */
export function seedWaves(plan: Pick<Plan, "waves">, scale: number): ReportWave[] {
  return plan.waves.map((wave) => ({
    index: wave.index,
    name: wave.name,
    windowStart: wave.windowStartSeconds * scale,
    windowEnd: wave.windowEndSeconds * scale,
  }));
}

/** The graph's edges under the ordering, and a note on the declared ones it leaves out. */
export function dependencyGraph(
  agents: ReportAgent[],
  ordering: string,
): Pick<ReportData, "edges" | "wavesAreBarriers"> & { notes: string[] } {
  const wavesAreBarriers = ordering === "waves";
  const { drawn, implied } = edgesToDraw(agents, wavesAreBarriers);
  const why = wavesAreBarriers
    ? "on an earlier wave (the wave barrier implies them) or implied by a longer path"
    : "implied by a longer path";
  return {
    edges: drawn,
    wavesAreBarriers,
    notes:
      implied === 0
        ? []
        : [
            `The dependency graph draws ${drawn.length} of the ${drawn.length + implied} declared dependencies; the other ${implied} are ${why}. Each agent's tooltip lists all of its own.`,
          ],
  };
}

/** What a report says of an agent whatever happened to it: its place in the plan and its edges. */
export function agentDescriptions(
  fleet: Fleet,
): (
  agent: Plan["agents"][number],
) => Pick<ReportAgent, "name" | "wave" | "group" | "critical" | "gpu" | "dependsOn"> {
  const declared = new Map(fleet.agents.map((agent) => [agent.name, agent.dependsOn]));
  return (agent) => ({
    name: agent.name,
    wave: agent.wave,
    group: agent.group,
    critical: agent.critical,
    gpu: agent.gpu,
    dependsOn: declared.get(agent.name) ?? [],
  });
}
