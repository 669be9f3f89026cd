import type { ProbeReport, ProbeSpec, ProbeStage, StageReport } from "./probe-spec";
import { checkTarget } from "./stage-checks";

/**
 * Walks the stages of a probe spec once, as the in-container probe does (probe/main.go), so
 * the deploy verifier can run the same checks from outside with the same verdicts.
 */
export async function walkStages(spec: ProbeSpec): Promise<ProbeReport> {
  const stages: StageReport[] = [];
  let criticalFailed = false;
  for (const stage of spec.stages) {
    if (criticalFailed) {
      stages.push({ name: stage.name, critical: stage.critical, status: "skipped" });
      continue;
    }
    const report = await runStage(stage);
    stages.push(report);
    criticalFailed = report.status === "fail" && stage.critical;
  }
  return { service: spec.service, status: probeStatus(stages), stages };
}

export function probeStatus(stages: readonly StageReport[]): ProbeReport["status"] {
  const failed = stages.filter((s) => s.status === "fail");
  if (failed.some((s) => s.critical)) return "unhealthy";
  return failed.length > 0 ? "degraded" : "healthy";
}

/** The probe's exit code: Docker counts 0 as healthy (degraded included) and 1 as unhealthy. */
export function probeExitCode(report: ProbeReport): 0 | 1 {
  return report.status === "unhealthy" ? 1 : 0;
}

async function runStage(stage: ProbeStage): Promise<StageReport> {
  const started = performance.now();
  const signal = AbortSignal.timeout(stage.timeout_ms);
  const results = await Promise.allSettled(stage.targets.map((t) => checkTarget(stage, t, signal)));
  const latency_ms = Math.round(performance.now() - started);
  const errors = results.flatMap((r) => (r.status === "rejected" ? [errorMessage(r.reason)] : []));
  return errors.length === 0
    ? { name: stage.name, critical: stage.critical, status: "pass", latency_ms }
    : {
        name: stage.name,
        critical: stage.critical,
        status: "fail",
        latency_ms,
        error: errors.join("; "),
      };
}

function errorMessage(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
