import { z } from "zod";

/**
 * The probe spec: what the in-container probe (`cascade-probe`, see probe/) checks on every
 * HEALTHCHECK run, and what the deploy verifier walks from outside. The Docker target compiles
 * each agent's health model into one of these. This file is the single definition of the
 * format; probe/spec.go mirrors it and test/health/probe-agreement.test.ts keeps them equal.
 *
 * Stages run in order (seed §1.3: process_started, port_listening, api_responsive,
 * dependencies_connected, fully_operational). A stage passes when every one of its targets
 * passes; its targets are checked in parallel within `timeout_ms`. A critical stage failing
 * makes the container unhealthy and skips the stages after it; a non-critical one failing
 * makes it degraded and the walk goes on.
 */

export const PROBE_SPEC_VERSION = 1;

/** Where the Docker target puts the spec and the binary in a container. */
export const PROBE_SPEC_CONTAINER_PATH = "/etc/cascade/probe.json";
export const PROBE_BINARY_CONTAINER_PATH = "/usr/local/bin/cascade-probe";

/** The seed's stage names; a spec may use others (e.g. "registration"). */
export const SEED_STAGE_NAMES = [
  "process_started",
  "port_listening",
  "api_responsive",
  "dependencies_connected",
  "fully_operational",
] as const;

export const stageKindSchema = z.enum([
  /** targets: process names, matched against /proc/<pid>/comm or the basename of argv[0] */
  "process",
  /** targets: "host:port", passes when a TCP connection is accepted */
  "tcp",
  /** targets: "http://host:port/path", passes on a status below 400, as `curl -f` does */
  "http",
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
      return /^[^/\s]+$/.test(target) ? undefined : "expected a process name";
    case "tcp":
      return hostPort.test(target) ? undefined : 'expected "host:port"';
    case "http":
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

export const stageOutcomeSchema = z.enum(["pass", "fail", "skipped"]);
export type StageOutcome = z.infer<typeof stageOutcomeSchema>;

/** The one line of JSON the probe prints; Docker keeps it in `State.Health.Log[].Output`. */
export const probeReportSchema = z.object({
  service: z.string(),
  status: z.enum(["healthy", "degraded", "unhealthy"]),
  /** Set when the spec itself could not be read; the status is then unhealthy. */
  error: z.string().optional(),
  stages: z.array(
    z.object({
      name: z.string(),
      critical: z.boolean(),
      status: stageOutcomeSchema,
      latency_ms: z.number().nonnegative().optional(),
      error: z.string().optional(),
    }),
  ),
});
export type ProbeReport = z.infer<typeof probeReportSchema>;
export type StageReport = ProbeReport["stages"][number];
