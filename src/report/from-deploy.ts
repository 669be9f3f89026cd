import { formatDuration } from "../fleet/duration";
import type { Fleet } from "../fleet/model";
import type { Plan } from "../fleet/planner";
import type { RolloutEvent } from "../rollout/events";
import type { ResourceStep } from "../rollout/workspace";
import { kebab } from "../targets/names";
import { agentDescriptions, dependencyGraph, seedWaves } from "./from-plan";
import type {
  ReportAgent,
  ReportAgentState,
  ReportData,
  ReportRollbackStage,
  ReportVerify,
} from "./model";

/**
 * `cascade deploy --report`: what a deploy did, drawn. Each agent's bar is its resource step in
 * the update (the container or Deployment from the engine's request to its outputs, i.e. until
 * it was healthy: the program waits for that), with the planner's best and worst case counted
 * from the update's first step; then the verify window (healthy agents per poll) and, when the
 * policy rolled back, the rollback's stages. The time axis is seconds after the deploy started.
 */

export interface DeployRecord {
  /** When `cascade deploy` started (epoch ms): the page's zero. */
  startMs: number;
  /** Every event of the deploy (and its rollback), when it was emitted. */
  events: { atMs: number; event: RolloutEvent }[];
  /** The update's resource steps, as the engine reported them. */
  steps: { atMs: number; step: ResourceStep }[];
}

/** The resources that are an agent: its container (docker) or Deployment (kubernetes). */
const AGENT_TYPE =
  /[:$](docker:index\/container:Container|kubernetes:apps\/v1:Deployment)::([^:]+)$/;

export function deployReportData(
  record: DeployRecord,
  fleet: Fleet,
  plan: Plan,
  stack: string,
  describe: (event: RolloutEvent) => string,
): ReportData {
  const at = (ms: number): number => (ms - record.startMs) / 1000;
  const bars = agentBars(record, plan, at);
  const updateStart = Math.min(...[...bars.values()].flatMap((bar) => bar.start ?? []));
  const offset = Number.isFinite(updateStart) ? updateStart : 0;
  const placeOf = agentDescriptions(fleet);
  const agents = plan.agents.map((agent): ReportAgent => {
    const bar = bars.get(agent.name) ?? { state: "not-started" as const };
    return {
      ...placeOf(agent),
      ...bar,
      best: offset + agent.earliestReadySeconds,
      worst: offset + agent.readyBySeconds,
    };
  });
  const graph = dependencyGraph(agents, plan.ordering);
  const ends = agents.flatMap((agent) => (agent.state === "healthy" ? [agent.end!] : []));
  const verify = verifyData(record, at, describe);
  const rollback = rollbackStages(record, at, describe);
  const bestAll = Math.max(0, ...plan.agents.map((agent) => agent.earliestReadySeconds));
  return {
    kind: "deploy",
    title: `Deploy of stack ${stack}`,
    subtitle: `${plan.agents.length} agents in ${plan.waves.length} waves, ordering "${plan.ordering}"; ${verify.outcome}`,
    timeAxis: "seconds after cascade deploy started",
    waves: seedWaves(plan, 1).map((wave) => ({
      ...wave,
      windowStart: wave.windowStart + offset,
      windowEnd: wave.windowEnd + offset,
    })),
    agents,
    edges: graph.edges,
    wavesAreBarriers: graph.wavesAreBarriers,
    criticalPath: { label: "planner's critical path", agents: plan.criticalPath.agents },
    marks: [
      { label: `best case ${formatDuration(bestAll)}`, seconds: offset + bestAll, kind: "best" },
      {
        label: `worst case ${formatDuration(plan.criticalPath.seconds)}`,
        seconds: offset + plan.criticalPath.seconds,
        kind: "worst",
      },
      ...(ends.length > 0
        ? [{ label: "update done", seconds: Math.max(...ends), kind: "measured" as const }]
        : []),
    ],
    verify: verify.polls.length > 0 || verify.windows.length > 0 ? verify : undefined,
    rollback: rollback.length > 0 ? rollback : undefined,
    figures: [
      ["agents", String(plan.agents.length)],
      ["changed", String(agents.filter((agent) => agent.start !== undefined).length)],
      ["verify polls", String(verify.polls.length)],
      ["outcome", verify.outcome],
    ],
    notes: graph.notes,
  };
}

type Bar = Pick<ReportAgent, "start" | "end" | "state" | "detail">;

const REMOVES = new Set(["delete", "delete-replaced", "discard", "discard-replaced"]);

/**
 * Per agent, its step in the update: from the engine's request to the outputs of its create,
 * update or replacement (the program waits for healthy), or its failure; or left as it was.
 */
function agentBars(record: DeployRecord, plan: Plan, at: (ms: number) => number): Map<string, Bar> {
  // The resource is `<group>-<agent>` (docker) or `<group>-<agent in kebab case>` (kubernetes); the
  // longest match wins, so "Core" is not taken for "Sub-Core".
  const names = plan.agents
    .flatMap((agent) => [agent.name, kebab(agent.name)].map((name) => ({ agent, name })))
    .sort((a, b) => b.name.length - a.name.length);
  const agentOf = (urn: string): string | undefined => {
    const resource = AGENT_TYPE.exec(urn)?.[2];
    return resource && names.find(({ name }) => resource.endsWith(`-${name}`))?.agent.name;
  };
  const bars = new Map<string, Bar>();
  for (const { atMs, step } of record.steps) {
    const agent = agentOf(step.urn);
    // A replacement's deletion of the old container is not the agent coming up.
    if (agent === undefined || REMOVES.has(step.op)) continue;
    const bar = bars.get(agent);
    if (step.status === "started") {
      // The first step counts; a replacement's steps after the first belong to its bar.
      if (bar === undefined || (bar.state === "unchanged" && step.op !== "same"))
        bars.set(
          agent,
          step.op === "same"
            ? { state: "unchanged", detail: "unchanged by the update" }
            : { start: at(atMs), state: "running", detail: step.op },
        );
    } else if (bar?.state === "running") {
      const state: ReportAgentState = step.status === "done" ? "healthy" : "failed";
      bars.set(agent, { ...bar, end: at(atMs), state });
    }
  }
  return bars;
}

/** The verify windows (the deploy's, and a rollback's) and every poll in them. */
function verifyData(
  record: DeployRecord,
  at: (ms: number) => number,
  describe: (event: RolloutEvent) => string,
): ReportVerify {
  const verify: ReportVerify = { windows: [], polls: [], outcome: "not verified" };
  for (const { atMs, event } of record.events) {
    if (event.kind === "verify-started") {
      verify.windows.push({ label: event.label, start: at(atMs), seconds: event.windowSeconds });
    } else if (event.kind === "verify-poll") {
      const healthy = event.poll.results.filter(
        (result) => result.outcome === "healthy" || result.outcome === "degraded",
      ).length;
      const action = event.verdict.kind === "rollback" ? event.verdict.trigger.action : undefined;
      verify.polls.push({ at: at(event.poll.atMs), healthy, total: event.agents, action });
    } else if (OUTCOMES.has(event.kind)) {
      verify.outcome = describe(event);
    }
  }
  return verify;
}

const OUTCOMES = new Set<RolloutEvent["kind"]>([
  "deploy-declined",
  "update-verified",
  "failed-update-not-marked",
  "update-unverified",
  "rollback-triggered",
]);

/**
 * The rollback's stages: each from its start (or its first event) to its last event, or to the
 * next stage's start; what it did, in the words of the cli's rendering.
 */
function rollbackStages(
  record: DeployRecord,
  at: (ms: number) => number,
  describe: (event: RolloutEvent) => string,
): ReportRollbackStage[] {
  const stages: ReportRollbackStage[] = [];
  for (const { atMs, event } of record.events) {
    if (!("stage" in event)) continue;
    let current = stages[stages.length - 1];
    if (event.kind === "stage-started" || current?.index !== event.stage.index) {
      if (current?.status === "started") {
        current.status = "done";
        current.end ??= at(atMs);
      }
      const { index, name } = event.stage;
      current = { index, name, status: "started", detail: "", start: at(atMs) };
      stages.push(current);
      if (event.kind === "stage-started") continue;
    }
    current.detail = current.detail ? `${current.detail}; ${describe(event)}` : describe(event);
    current.status = STAGE_STATUS[event.kind] ?? "done";
    current.end = at(atMs);
  }
  return stages;
}

const STAGE_STATUS: Partial<Record<RolloutEvent["kind"], ReportRollbackStage["status"]>> = {
  "terminate-skipped": "skipped",
  "wave-skipped": "skipped",
  escalated: "failed",
  "restore-unverified": "failed",
};
