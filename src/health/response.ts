import { z } from "zod";

/**
 * The standard health response of every agent (seed §3.1), served as `application/json`.
 *
 * Two additions to the seed's example, both optional so that a response exactly like the
 * seed's still parses: a dependency may say whether it is `critical` (absent means critical,
 * which is what the seed's aggregation assumes), and `checks.stages` reports the progressive
 * stages (seed §1.3) so that a failing non-critical stage can be seen as the cause of
 * "degraded".
 */

export const healthStatusSchema = z.enum(["healthy", "degraded", "unhealthy"]);
export type HealthStatus = z.infer<typeof healthStatusSchema>;

const latencyMs = z.number().nonnegative();

export const componentCheckSchema = z.object({
  status: healthStatusSchema,
  latency_ms: latencyMs.optional(),
  error: z.string().optional(),
});
export type ComponentCheck = z.infer<typeof componentCheckSchema>;

export const dependencyCheckResultSchema = componentCheckSchema.extend({
  critical: z.boolean().optional(),
});
export type DependencyCheckResult = z.infer<typeof dependencyCheckResultSchema>;

export const stageCheckResultSchema = componentCheckSchema.extend({
  critical: z.boolean(),
});
export type StageCheckResult = z.infer<typeof stageCheckResultSchema>;

export const resourceUsageSchema = z.object({
  memory_mb: z.number().nonnegative().optional(),
  cpu_percent: z.number().nonnegative().optional(),
  gpu_memory_mb: z.number().nonnegative().optional(),
  threads: z.int().nonnegative().optional(),
});
export type ResourceUsage = z.infer<typeof resourceUsageSchema>;

/**
 * An ISO 8601 date-time. Seed §3.2's template prints `datetime.utcnow().isoformat()`, which has
 * no offset (`2025-07-30T12:00:00.123456`): a time without one is UTC, and is given its `Z`.
 */
const timestampSchema = z.iso
  .datetime({ offset: true, local: true })
  .transform((time) => (/(?:Z|[+-]\d{2}(?::?\d{2})?)$/i.test(time) ? time : `${time}Z`));

export const healthResponseSchema = z.object({
  status: healthStatusSchema,
  timestamp: timestampSchema,
  service: z.object({
    name: z.string().min(1),
    version: z.string().min(1),
    uptime_seconds: z.number().nonnegative(),
  }),
  checks: z.object({
    self: componentCheckSchema,
    dependencies: z.record(z.string(), dependencyCheckResultSchema).optional(),
    stages: z.record(z.string(), stageCheckResultSchema).optional(),
    resources: resourceUsageSchema.optional(),
  }),
  metrics: z
    .object({
      requests_per_second: z.number().nonnegative(),
      error_rate: z.number().min(0).max(1),
      average_latency_ms: latencyMs,
    })
    .partial()
    .optional(),
});
export type HealthResponse = z.infer<typeof healthResponseSchema>;
export type HealthChecks = HealthResponse["checks"];
