import type { AgentTimeline, BringUpResult } from "./bringup";
import type { AfterEffect, ScenarioSetup } from "./scenarios";
import type { RehearsalBounds } from "./bounds";

/**
 * The rehearsal's result as data (`--json`) and as text: per agent when it was started and
 * healthy and what it waited on, per wave, totals, and the measured critical path next to the
 * planner's.
 */

export interface RehearsalReport {
  runId: string;
  stack: string;
  ordering: string;
  scale: number;
  /** Scaled health intervals never go below this (the fleet's probe-rate floor). */
  minIntervalMs: number;
  /** Set when health was polled every pollMs instead of watched by Docker's events. */
  pollMs?: number;
  scenario: ScenarioSetup["name"];
  target?: string;
  outcome: "healthy" | "failed";
  allHealthyMs?: number;
  agents: AgentTimeline[];
  waves: {
    wave: number;
    agents: number;
    healthy: number;
    firstStartedMs?: number;
    lastHealthyMs?: number;
  }[];
  criticalPath: {
    measured: { agents: string[]; ms?: number };
    /**
     * The planner's best case with the rehearsal's timings (every agent healthy at its first
     * probe): the bound (`rehearsalBounds`).
     */
    boundMs: number;
    boundAgents: string[];
    /** The planner's worst-case path with the same timings (floored intervals included). */
    planned: { agents: string[]; worstMs: number; bestMs: number };
    /** Where the measured path's time went, summed over its agents (see `pathBreakdown`). */
    breakdown?: PathBreakdown;
  };
  /** Per agent, when the planner's model with the rehearsal's timings has it healthy (`rehearsalBounds`). */
  agentBounds: RehearsalBounds["agents"];
  failure?: BringUpResult["failure"];
  prediction?: ScenarioSetup["prediction"];
  afterEffects?: AfterEffect[];
  skipped: string[];
  removed?: { containers: number; volumes: number };
  /** What --keep kept of a healthy rehearsal, and the command that removes it. */
  kept?: { containers: number; volumes: number; removeWith: string };
}

/**
 * The measured critical path's time, split: `setupMs` before its first start request (volumes,
 * the seeder's upload); per agent `engineMs` from the start request until Docker started the
 * process (the start, and the create when it was not made ahead), `probeWaitMs` from the
 * process start until the probe that passed started (the bound's part: one interval when the
 * first probe passes; more when probes were late or failed), `probeExecMs` that probe's run
 * (docker exec + the probe), `pollMs` until the rehearsal saw it healthy (by its health event,
 * or its inspect when polling), `schedulingMs` from a dependency healthy to the start request.
 */
export interface PathBreakdown {
  setupMs: number;
  engineMs: number;
  probeWaitMs: number;
  probeExecMs: number;
  pollMs: number;
  schedulingMs: number;
  /** Of probeWaitMs, what the bound does not account for (late or failed probes). */
  lateProbesMs: number;
}

export function pathBreakdown(
  timelines: AgentTimeline[],
  agents: string[],
  boundOf: (agent: string) => number,
): PathBreakdown | undefined {
  const byName = new Map(timelines.map((t) => [t.agent, t]));
  const path = agents.map((name) => byName.get(name)!);
  const complete = path.every(
    (t) =>
      t.requestedMs !== undefined &&
      t.processStartedMs !== undefined &&
      t.passingProbe !== undefined &&
      t.healthyMs !== undefined,
  );
  if (path.length === 0 || !complete) return undefined;
  const sum = (f: (t: AgentTimeline, i: number) => number): number =>
    path.reduce((total, t, i) => total + f(t, i), 0);
  const probeWaitMs = sum((t) => t.passingProbe!.startMs - t.processStartedMs!);
  return {
    setupMs: path[0].requestedMs!,
    engineMs: sum((t) => t.processStartedMs! - t.requestedMs!),
    probeWaitMs,
    probeExecMs: sum((t) => t.passingProbe!.endMs - t.passingProbe!.startMs),
    pollMs: sum((t) => t.healthyMs! - t.passingProbe!.endMs),
    schedulingMs: sum((t, i) => (i === 0 ? 0 : t.requestedMs! - path[i - 1].healthyMs!)),
    lateProbesMs: probeWaitMs - sum((t) => boundOf(t.agent)),
  };
}

export function measuredPath(timelines: AgentTimeline[]): { agents: string[]; ms?: number } {
  const byName = new Map(timelines.map((t) => [t.agent, t]));
  const last = timelines
    .filter((t) => t.healthyMs !== undefined)
    .sort((a, b) => b.healthyMs! - a.healthyMs!)[0];
  const agents: string[] = [];
  for (
    let t: AgentTimeline | undefined = last;
    t;
    t = t.waitedOn ? byName.get(t.waitedOn) : undefined
  )
    agents.unshift(t.agent);
  return { agents, ms: last?.healthyMs };
}

export function waveSummary(timelines: AgentTimeline[]): RehearsalReport["waves"] {
  const waves = [...new Set(timelines.map((t) => t.wave))].sort((a, b) => a - b);
  return waves.map((wave) => {
    const members = timelines.filter((t) => t.wave === wave);
    const started = members.flatMap((t) => (t.startedMs === undefined ? [] : [t.startedMs]));
    const healthy = members.flatMap((t) => (t.healthyMs === undefined ? [] : [t.healthyMs]));
    return {
      wave,
      agents: members.length,
      healthy: healthy.length,
      firstStartedMs: started.length > 0 ? Math.min(...started) : undefined,
      lastHealthyMs:
        healthy.length === members.length && healthy.length > 0 ? Math.max(...healthy) : undefined,
    };
  });
}

const s = (ms: number | undefined): string =>
  ms === undefined ? "-" : `${(ms / 1000).toFixed(2)}s`;

export function renderReport(report: RehearsalReport): string {
  const lines: string[] = [];
  lines.push(
    `rehearsal ${report.runId} of stack ${report.stack} (${report.ordering} ordering, scale ${report.scale}, health interval >= ${report.minIntervalMs} ms, health ${report.pollMs === undefined ? "by Docker's events" : `polled every ${report.pollMs} ms`}, scenario ${report.scenario}${report.target ? ` on ${report.target}` : ""})`,
    "",
    `${"agent".padEnd(30)} wave  ${"started".padStart(8)} ${"healthy".padStart(8)}  ${"state".padEnd(11)} restarts  waited on`,
  );
  const sorted = [...report.agents].sort(
    (a, b) => a.wave - b.wave || (a.startedMs ?? Infinity) - (b.startedMs ?? Infinity),
  );
  for (const t of sorted) {
    lines.push(
      `${t.agent.padEnd(30)} ${String(t.wave).padStart(4)}  ${s(t.startedMs).padStart(8)} ${s(t.healthyMs).padStart(8)}  ${t.state.padEnd(11)} ${String(t.restarts).padStart(8)}  ${t.waitedOn ?? "-"}`,
    );
  }
  lines.push("", "wave  agents  healthy  first started  last healthy");
  for (const w of report.waves) {
    lines.push(
      `${String(w.wave).padStart(4)}  ${String(w.agents).padStart(6)}  ${String(w.healthy).padStart(7)}  ${s(w.firstStartedMs).padStart(13)}  ${s(w.lastHealthyMs).padStart(12)}`,
    );
  }
  const cp = report.criticalPath;
  lines.push(
    "",
    `all healthy:        ${s(report.allHealthyMs)}`,
    `measured path:      ${s(cp.measured.ms)}  ${cp.measured.agents.join(" -> ")}`,
    `planner best case:  ${s(cp.boundMs)}  ${cp.boundAgents.join(" -> ")}${report.allHealthyMs !== undefined && cp.boundMs > 0 ? `  (measured/bound ${(report.allHealthyMs / cp.boundMs).toFixed(2)})` : ""}`,
    `planner worst path: ${s(cp.planned.worstMs)}  ${cp.planned.agents.join(" -> ")}`,
  );
  const b = cp.breakdown;
  if (b) {
    lines.push(
      `measured path, split: setup ${s(b.setupMs)} + start ${s(b.engineMs)} + until the passing probe ${s(b.probeWaitMs)} (late ${s(b.lateProbesMs)}) + probe exec ${s(b.probeExecMs)} + until seen ${s(b.pollMs)} + scheduling ${s(b.schedulingMs)}`,
    );
  }
  if (report.prediction) {
    lines.push(
      `plan predicts ${report.prediction.outcome}: ready at ${s(report.prediction.readyAtMs)}, worst case ${s(report.prediction.worstMs)}`,
    );
  }
  for (const effect of report.afterEffects ?? []) {
    lines.push(
      `after ${report.target} died: ${effect.agent} reports ${effect.status} (dependency ${effect.dependency?.critical ? "critical" : "optional"}: ${effect.dependency?.error ?? effect.dependency?.status ?? "?"}), docker health ${effect.dockerHealth}, breaker ${effect.breakerOpen ? "open" : "closed"}`,
    );
  }
  if (report.skipped.length > 0)
    lines.push(`not rehearsed (not agents): ${report.skipped.join(", ")}`);
  if (report.removed)
    lines.push(
      `removed ${report.removed.containers} containers and ${report.removed.volumes} volumes`,
    );
  if (report.kept)
    lines.push(
      `kept ${report.kept.containers} containers and ${report.kept.volumes} volumes (--keep; label cascade.rehearsal=${report.runId}); the next rehearsal removes them, or now: ${report.kept.removeWith}`,
    );
  if (report.failure) lines.push("", failureMessage(report.failure));
  return lines.join("\n");
}

export function failureMessage(failure: NonNullable<BringUpResult["failure"]>): string {
  return [
    `rollout stopped at ${failure.agent}: ${failure.message}`,
    `  last health output: ${failure.lastHealthOutput ?? "(none: no probe ran)"}`,
    `  waiting on it: ${failure.waitingOnIt.length > 0 ? failure.waitingOnIt.join(", ") : "nothing"}`,
    `  never started: ${failure.notStarted.length > 0 ? failure.notStarted.join(", ") : "nothing"}`,
  ].join("\n");
}
