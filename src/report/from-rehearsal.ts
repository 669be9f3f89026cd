import type { Fleet } from "../fleet/model";
import type { Plan } from "../fleet/planner";
import { failureMessage, type RehearsalReport } from "../rehearse/report";
import type { AgentTimeline } from "../rehearse/bringup";
import { dependencyGraph, seedWaves } from "./from-plan";
import type { ReportAgent, ReportAgentState, ReportData } from "./model";

/**
 * `cascade rehearse --report`: what ran, on the rehearsal's own clock (seconds since it
 * started). Bars from started to healthy (or to the failure), the planner's bounds with the
 * rehearsal's timings, the measured critical path, and the seed's windows times the scale.
 */
export function rehearsalReportData(report: RehearsalReport, fleet: Fleet, plan: Plan): ReportData {
  // With --only, some of the fleet's agents were not rehearsed: edges to them are left out.
  const rehearsed = new Set(report.agents.map((timeline) => timeline.agent));
  const declared = new Map(
    fleet.agents.map((agent) => [agent.name, agent.dependsOn.filter((d) => rehearsed.has(d))]),
  );
  const agents = report.agents.map((timeline) =>
    reportAgent(timeline, declared.get(timeline.agent) ?? [], report.agentBounds?.[timeline.agent]),
  );
  const graph = dependencyGraph(agents, report.ordering);
  const cp = report.criticalPath;
  const marks: ReportData["marks"] = [
    { label: `planner best ${text(cp.boundMs)}`, seconds: cp.boundMs / 1000, kind: "best" },
    {
      label: `planner worst ${text(cp.planned.worstMs)}`,
      seconds: cp.planned.worstMs / 1000,
      kind: "worst",
    },
  ];
  if (report.allHealthyMs !== undefined)
    marks.push({
      label: `all healthy ${text(report.allHealthyMs)}`,
      seconds: report.allHealthyMs / 1000,
      kind: "measured",
    });
  return {
    kind: "rehearsal",
    title: `Rehearsal ${report.runId} of stack ${report.stack}: ${report.outcome}`,
    subtitle: `${report.agents.length} stand-in agents, ordering "${report.ordering}", scale ${report.scale}, health interval >= ${report.minIntervalMs} ms, scenario ${report.scenario}${report.target ? ` on ${report.target}` : ""}`,
    timeAxis: "seconds since the rehearsal started",
    waves: seedWaves(plan, report.scale),
    agents,
    edges: graph.edges,
    wavesAreBarriers: graph.wavesAreBarriers,
    criticalPath:
      cp.measured.agents.length > 0
        ? { label: "measured critical path", agents: cp.measured.agents }
        : { label: "planner's critical path (none measured)", agents: cp.planned.agents },
    marks,
    figures: [
      ["outcome", report.outcome],
      ["all healthy", text(report.allHealthyMs)],
      ["planner best case (the bound)", text(cp.boundMs)],
      ["planner worst case", text(cp.planned.worstMs)],
      ...(report.allHealthyMs !== undefined && cp.boundMs > 0
        ? [["measured / bound", (report.allHealthyMs / cp.boundMs).toFixed(2)] as [string, string]]
        : []),
    ],
    notes: [
      `Times are the rehearsal's, at scale ${report.scale}; the seed's wave windows are drawn times ${report.scale}. Health intervals were floored at ${report.minIntervalMs} ms, and the planner's marks use the timings that ran.`,
      ...(report.failure ? [failureMessage(report.failure)] : []),
      ...graph.notes,
      ...(report.skipped.length > 0
        ? [`not rehearsed (not agents): ${report.skipped.join(", ")}`]
        : []),
    ],
  };
}

const seconds = (ms: number | undefined): number | undefined =>
  ms === undefined ? undefined : ms / 1000;
const text = (ms: number | undefined): string =>
  ms === undefined ? "-" : `${(ms / 1000).toFixed(2)}s`;

function reportAgent(
  timeline: AgentTimeline,
  dependsOn: string[],
  bounds: { bestMs: number; worstMs: number } | undefined,
): ReportAgent {
  return {
    name: timeline.agent,
    wave: timeline.wave,
    group: timeline.group,
    critical: timeline.critical,
    // The rehearsal drops GPU requests (no GPU here).
    gpu: false,
    dependsOn,
    start: seconds(timeline.startedMs),
    end: seconds(timeline.healthyMs ?? timeline.failedMs),
    state: agentState(timeline),
    best: seconds(bounds?.bestMs),
    worst: seconds(bounds?.worstMs),
    detail: agentDetail(timeline),
  };
}

function agentState(timeline: AgentTimeline): ReportAgentState {
  switch (timeline.state) {
    case "healthy":
    case "degraded":
    case "unhealthy":
    case "timeout":
    case "exited":
    case "not-started":
      return timeline.state;
    default:
      return "running";
  }
}

function agentDetail(timeline: AgentTimeline): string | undefined {
  const parts = [
    timeline.waitedOn ? `waited on ${timeline.waitedOn}` : "",
    timeline.restarts > 0 ? `${timeline.restarts} restarts` : "",
    timeline.error ?? "",
  ].filter(Boolean);
  return parts.length > 0 ? parts.join("; ") : undefined;
}
