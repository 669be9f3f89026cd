import type { ProbeReport, ProbeSpec, ProbeStage, StageReport } from "./probe-spec";
import { checkTarget } from "./stage-checks";

/** What the walk knows besides the spec: both come from the container in the Go probe. */
export interface WalkContext {
  /** Milliseconds since the container started; unknown: every deadline has passed. */
  uptimeMs?: number;
  /** Per stage, milliseconds since its last pass (the Go probe keeps them in a state file). */
  passedAgoMs?: Readonly<Record<string, number>>;
}

/**
 * Walks the stages of a probe spec once, as the in-container probe does (probe/walk.go), with
 * the same verdicts: the agreement test runs both on the same fixtures and context.
 */
export async function walkStages(spec: ProbeSpec, context: WalkContext = {}): Promise<ProbeReport> {
  const stages: StageReport[] = [];
  let stop = false;
  for (const stage of spec.stages) {
    if (stop) {
      stages.push({ name: stage.name, critical: stage.critical, status: "skipped" });
      continue;
    }
    const report = freshPass(stage, context) ?? (await runStage(stage, context));
    stages.push(report);
    stop = stage.critical && report.status !== "pass";
  }
  return {
    service: spec.service,
    status: probeStatus(stages),
    ...(context.uptimeMs === undefined ? {} : { uptime_ms: context.uptimeMs }),
    stages,
  };
}

export function probeStatus(stages: readonly StageReport[]): ProbeReport["status"] {
  const critical = stages.filter((s) => s.critical);
  if (critical.some((s) => s.status === "fail")) return "unhealthy";
  if (critical.some((s) => s.status === "pending")) return "starting";
  const failing = stages.some((s) => s.status === "fail" || s.status === "pending");
  return failing ? "degraded" : "healthy";
}

/** The probe's exit code: Docker counts 0 as healthy (degraded included), 1 as not. */
export function probeExitCode(report: ProbeReport): 0 | 1 {
  return report.status === "healthy" || report.status === "degraded" ? 0 : 1;
}

/** A pass younger than the stage's interval stands without a new check. */
function freshPass(stage: ProbeStage, context: WalkContext): StageReport | undefined {
  const ago = context.passedAgoMs?.[stage.name];
  if (stage.interval_ms === undefined || ago === undefined || ago >= stage.interval_ms) {
    return undefined;
  }
  return { name: stage.name, critical: stage.critical, status: "pass", cached: true };
}

async function runStage(stage: ProbeStage, context: WalkContext): Promise<StageReport> {
  const started = performance.now();
  const signal = AbortSignal.timeout(stage.timeout_ms);
  const results = await Promise.allSettled(stage.targets.map((t) => checkTarget(stage, t, signal)));
  const latency_ms = Math.round(performance.now() - started);
  const errors = results.flatMap((r) => (r.status === "rejected" ? [errorMessage(r.reason)] : []));
  const report = { name: stage.name, critical: stage.critical, latency_ms };
  if (errors.length === 0) return { ...report, status: "pass" };
  return {
    ...report,
    status: beforeDeadline(stage, context) ? "pending" : "fail",
    error: errors.join("; "),
  };
}

function beforeDeadline(stage: ProbeStage, context: WalkContext): boolean {
  return (
    stage.deadline_ms !== undefined &&
    context.uptimeMs !== undefined &&
    context.uptimeMs < stage.deadline_ms
  );
}

function errorMessage(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
