import type { Agent, Fleet } from "./model";
import type { CriticalPath, Plan } from "./planner";

/**
 * What changes between two plans of one host (`cascade plan --diff BASE_REF`): pure data, rendered
 * by src/cli/render-plan-diff.ts. Agents are matched by name.
 */

export interface PlanSide {
  fleet: Fleet;
  plan: Plan;
}

export interface AgentChange {
  agent: string;
  changes: string[];
}

export interface PlanDiff {
  added: string[];
  removed: string[];
  /** Declared wave changes, by wave name. */
  waveMoves: { agent: string; from: string; to: string }[];
  /** What an agent waits for (the dependsOn edges of the plan's ordering). */
  gateChanges: AgentChange[];
  /** Health check model: kind, endpoints, timing, thresholds, dependency checks. */
  healthChanges: AgentChange[];
  gpuChanges: AgentChange[];
  modelChanges: AgentChange[];
  orderingChange?: { from: string; to: string };
  criticalPath: { before: CriticalPath; after: CriticalPath; changed: boolean };
}

export function diffPlans(base: PlanSide, head: PlanSide): PlanDiff {
  const before = new Map(base.fleet.agents.map((agent) => [agent.name, agent]));
  const after = new Map(head.fleet.agents.map((agent) => [agent.name, agent]));
  const plannedBefore = new Map(base.plan.agents.map((agent) => [agent.name, agent]));
  const plannedAfter = new Map(head.plan.agents.map((agent) => [agent.name, agent]));
  const waveName = (fleet: Fleet, index: number) => fleet.waves[index - 1]?.name ?? `wave ${index}`;

  const diff: PlanDiff = {
    added: head.fleet.agents.filter((agent) => !before.has(agent.name)).map((agent) => agent.name),
    removed: base.fleet.agents.filter((agent) => !after.has(agent.name)).map((agent) => agent.name),
    waveMoves: [],
    gateChanges: [],
    healthChanges: [],
    gpuChanges: [],
    modelChanges: [],
    criticalPath: {
      before: base.plan.criticalPath,
      after: head.plan.criticalPath,
      changed:
        base.plan.criticalPath.seconds !== head.plan.criticalPath.seconds ||
        base.plan.criticalPath.agents.join() !== head.plan.criticalPath.agents.join(),
    },
  };
  if (base.plan.ordering !== head.plan.ordering) {
    diff.orderingChange = { from: base.plan.ordering, to: head.plan.ordering };
  }
  for (const agent of head.fleet.agents) {
    const old = before.get(agent.name);
    if (!old) continue;
    const from = waveName(base.fleet, old.wave);
    const to = waveName(head.fleet, agent.wave);
    if (from !== to) diff.waveMoves.push({ agent: agent.name, from, to });
    push(
      diff.gateChanges,
      agent.name,
      gateChanges(
        plannedBefore.get(agent.name)!.dependsOn,
        plannedAfter.get(agent.name)!.dependsOn,
      ),
    );
    push(diff.healthChanges, agent.name, fieldChanges(healthFields(old), healthFields(agent)));
    push(diff.gpuChanges, agent.name, fieldChanges(gpuFields(old), gpuFields(agent)));
    push(diff.modelChanges, agent.name, fieldChanges(modelFields(old), modelFields(agent)));
  }
  return diff;
}

/** Every agent the diff touches (added, moved or changed); removed agents are not in `head`. */
export function changedAgents(diff: PlanDiff): Set<string> {
  return new Set([
    ...diff.added,
    ...diff.waveMoves.map((move) => move.agent),
    ...[diff.gateChanges, diff.healthChanges, diff.gpuChanges, diff.modelChanges].flatMap((list) =>
      list.map((change) => change.agent),
    ),
  ]);
}

export function isEmptyDiff(diff: PlanDiff): boolean {
  return (
    changedAgents(diff).size === 0 &&
    diff.removed.length === 0 &&
    !diff.criticalPath.changed &&
    !diff.orderingChange
  );
}

function push(list: AgentChange[], agent: string, changes: string[]) {
  if (changes.length > 0) list.push({ agent, changes });
}

function gateChanges(before: string[], after: string[]): string[] {
  const added = after.filter((name) => !before.includes(name));
  const removed = before.filter((name) => !after.includes(name));
  return [
    ...(added.length ? [`now waits for ${added.join(", ")}`] : []),
    ...(removed.length ? [`no longer waits for ${removed.join(", ")}`] : []),
  ];
}

type Fields = Record<string, string>;

function fieldChanges(before: Fields, after: Fields): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return keys
    .filter((key) => before[key] !== after[key])
    .map((key) => `${key}: ${before[key] ?? "-"} -> ${after[key] ?? "-"}`);
}

function healthFields(agent: Agent): Fields {
  const h = agent.health;
  return {
    type: h.kind,
    checks: h.checks.map((c) => `${c.method} :${c.port}${c.path}`).join(", ") || "-",
    stages: h.stages.map((s) => `${s.name}(${s.startPeriodSeconds}s)`).join(" -> ") || "-",
    interval: `${h.intervalSeconds}s`,
    timeout: `${h.timeoutSeconds}s`,
    retries: String(h.retries),
    start_period: `${h.startPeriodSeconds}s`,
    thresholds: `success ${h.successThreshold} / failure ${h.failureThreshold}`,
    dependency_checks:
      h.dependencyChecks
        .map((d) => `${d.service}:${d.port}${d.path}${d.required ? "" : " (optional)"}`)
        .join(", ") || "-",
    critical: String(agent.critical),
  };
}

function gpuFields(agent: Agent): Fields {
  if (!agent.gpu) return { gpu: "none" };
  return {
    gpu: agent.gpu.deviceIds.length
      ? `devices ${agent.gpu.deviceIds.join(",")}`
      : agent.gpu.count === -1
        ? "all"
        : `count ${agent.gpu.count}`,
  };
}

function modelFields(agent: Agent): Fields {
  const m = agent.models;
  if (!m) return { models: "none" };
  return {
    preload: m.preload.join(", ") || "-",
    on_demand: m.onDemand.join(", ") || "-",
    max_models_in_memory: String(m.maxModelsInMemory),
    eviction_policy: m.evictionPolicy,
    idle_timeout: `${m.idleTimeoutSeconds}s`,
  };
}
