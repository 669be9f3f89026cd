import { z } from "zod";

/**
 * The probe spec: what the in-container probe (`cascade-probe`, see probe/) checks on every
 * HEALTHCHECK run, and what the deploy verifier walks from outside. The Docker target compiles
 * each agent's health model into one of these. This file is the single definition of the
 * format; probe/spec.go mirrors it, and test/health/probe.test.ts runs the binary and the TS walker
 * on the same specs and requires the same verdicts.
 *
 * Stages run in order (seed §1.3: process_started, port_listening, api_responsive,
 * dependencies_connected, fully_operational). A stage passes when every one of its targets
 * passes; its targets are checked in parallel within `timeout_ms`.
 *
 * Time counts from the container's start (the start of its PID 1). A stage that fails before
 * its `deadline_ms` is `pending`: still starting. After its deadline it has `fail`ed. The
 * verdict: a critical stage failed -> unhealthy; else one pending -> starting (both exit 1, and
 * skip the stages after it); else a non-critical stage failed or pending -> degraded (exit 0);
 * else healthy. A stage with `interval_ms` is not checked again while its last pass is younger
 * than that: it keeps its own interval when Docker runs the probe more often.
 */

export const PROBE_SPEC_VERSION = 1;

/** Where the probe reads its spec when given neither `--spec-json` nor a path (the stand-in image's). */
export const PROBE_SPEC_CONTAINER_PATH = "/etc/cascade/probe.json";
/**
 * Seed §1.3's stages, in order: the seed's "timeout" of each is its deadline, the seconds from
 * the start by which it must pass. A spec may add stages of other names (e.g. a staged check's).
 */
export const SEED_STAGES = {
  process_started: { deadlineSeconds: 10, critical: true },
  port_listening: { deadlineSeconds: 30, critical: true },
  api_responsive: { deadlineSeconds: 60, critical: true },
  dependencies_connected: { deadlineSeconds: 90, critical: true },
  fully_operational: { deadlineSeconds: 120, critical: false },
} as const;
export type SeedStageName = keyof typeof SEED_STAGES;

export const stageKindSchema = z.enum([
  /**
   * targets: process names, matched against /proc/<pid>/comm or the basename of argv[0], or
   * `pid:N`, the live process N (`pid:1`: the container's main process)
   */
  "process",
  /** targets: "host:port", passes when a TCP connection is accepted */
  "tcp",
  /** targets: "http://host:port/path", passes on a status below 400, as `curl -f` does */
  "http",
  /**
   * targets: "http://host:port/path" of a standard health endpoint (seed §3.1), GET; passes
   * when it answers below 400 with `"status": "healthy"` (degraded fails: not fully operational)
   */
  "health",
]);
export type StageKind = z.infer<typeof stageKindSchema>;

const hostPort = /^[^\s:/]+:\d{1,5}$/;

export const probeStageSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z][a-z0-9_]*$/, { message: "expected a snake_case stage name" }),
    kind: stageKindSchema,
    targets: z.array(z.string().min(1)).min(1),
    timeout_ms: z.int().min(1).max(60_000),
    critical: z.boolean(),
    /** Milliseconds from the container's start by which the stage must pass; none: from the start. */
    deadline_ms: z.int().min(0).optional(),
    /** A pass younger than this is not checked again; none: checked on every run. */
    interval_ms: z.int().min(1).optional(),
    /** http only; the seed's `curl -X POST .../register/test` is a POST. */
    method: z.enum(["GET", "POST", "HEAD"]).optional(),
  })
  .superRefine((stage, ctx) => {
    stage.targets.forEach((target, index) => {
      const problem = targetProblem(stage.kind, target);
      if (problem) ctx.addIssue({ code: "custom", path: ["targets", index], message: problem });
    });
    if (stage.method !== undefined && stage.kind !== "http") {
      ctx.addIssue({
        code: "custom",
        path: ["method"],
        message: "method applies to http stages only",
      });
    }
  });
export type ProbeStage = z.infer<typeof probeStageSchema>;

export const probeSpecSchema = z
  .strictObject({
    version: z.literal(PROBE_SPEC_VERSION),
    service: z.string().min(1),
    stages: z.array(probeStageSchema).min(1),
  })
  .superRefine((spec, ctx) => {
    const seen = new Set<string>();
    spec.stages.forEach((stage, index) => {
      if (seen.has(stage.name)) {
        ctx.addIssue({
          code: "custom",
          path: ["stages", index, "name"],
          message: `duplicate stage "${stage.name}"`,
        });
      }
      seen.add(stage.name);
    });
  });
export type ProbeSpec = z.infer<typeof probeSpecSchema>;

function targetProblem(kind: StageKind, target: string): string | undefined {
  switch (kind) {
    case "process":
      return /^[^/\s]+$/.test(target) ? undefined : 'expected a process name or "pid:N"';
    case "tcp":
      return hostPort.test(target) ? undefined : 'expected "host:port"';
    case "http":
    case "health":
      return URL.canParse(target) && new URL(target).protocol === "http:"
        ? undefined
        : 'expected an "http://" URL (the probe speaks plain HTTP to local ports)';
  }
}

/**
 * The longest a probe run can take: stages run one after another, each bounded by its
 * timeout. The Docker HEALTHCHECK timeout must be above this, or Docker kills the probe
 * before it prints its report.
 */
export function worstCaseProbeDurationMs(spec: ProbeSpec): number {
  return spec.stages.reduce((total, stage) => total + stage.timeout_ms, 0);
}

/** `pending`: failed before its deadline (still starting); `fail`: failed after it. */
export const stageOutcomeSchema = z.enum(["pass", "fail", "pending", "skipped"]);
export type StageOutcome = z.infer<typeof stageOutcomeSchema>;

/** The one line of JSON the probe prints; Docker keeps it in `State.Health.Log[].Output`. */
export const probeReportSchema = z.object({
  service: z.string(),
  status: z.enum(["healthy", "degraded", "starting", "unhealthy"]),
  /** Set when the spec itself could not be read; the status is then unhealthy. */
  error: z.string().optional(),
  /** Milliseconds since the container started, when the probe could tell. */
  uptime_ms: z.number().nonnegative().optional(),
  stages: z.array(
    z.object({
      name: z.string(),
      critical: z.boolean(),
      status: stageOutcomeSchema,
      latency_ms: z.number().nonnegative().optional(),
      /** A pass younger than the stage's interval, not checked again. */
      cached: z.boolean().optional(),
      error: z.string().optional(),
    }),
  ),
});
export type ProbeReport = z.infer<typeof probeReportSchema>;
export type StageReport = ProbeReport["stages"][number];
