import { z } from "zod";
import { durationSeconds, isDuration } from "./duration";

/**
 * The fleet file format (fleet/*.yaml), as written by operators. Every object is strict:
 * an unknown key is an error, never silently ignored. Durations are strings ("5s", "2m")
 * parsed once here into seconds. Defaults that mirror Docker's are applied in `normalize.ts`,
 * not here, so that templates and group defaults can be merged first.
 */

const duration = z
  .string()
  .refine(isDuration, { message: 'expected a duration such as "5s", "2m" or "1m30s"' })
  .transform(durationSeconds);

const port = z.int().min(1).max(65535);
const agentName = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, {
  message: "expected a name of letters, digits, '_' or '-', starting with a letter",
});
const urlPath = z.string().startsWith("/", { message: 'expected a path starting with "/"' });
const count = z.int().min(1);

/** One HTTP request that must answer 2xx: `curl -f` in the seed. */
export const httpCheckSchema = z.strictObject({
  name: z.string().min(1),
  endpoint: urlPath,
  method: z.enum(["GET", "POST", "HEAD"]).optional(),
  /** Port on the agent itself; defaults to its health port. */
  port: port.optional(),
});

/** A pre-check on a dependency, answered by the dependency's own health endpoint. */
export const dependencyCheckSchema = z.strictObject({
  service: agentName,
  endpoint: urlPath.optional(),
  required: z.boolean().optional(),
});

const timingFields = {
  interval: duration.optional(),
  timeout: duration.optional(),
  retries: count.optional(),
  start_period: duration.optional(),
  success_threshold: count.optional(),
  failure_threshold: count.optional(),
};

/** `all_dependencies`: one required pre-check on /health of each declared dependency. */
const dependencyChecks = z.union([z.literal("all_dependencies"), z.array(dependencyCheckSchema)]);

const httpHealthSchema = z.strictObject({
  type: z.literal("http"),
  endpoint: urlPath,
  checks: z.array(httpCheckSchema).optional(),
  dependency_checks: dependencyChecks.optional(),
  ...timingFields,
});

const compositeHealthSchema = z.strictObject({
  type: z.literal("composite"),
  checks: z.array(httpCheckSchema).min(1),
  dependency_checks: dependencyChecks.optional(),
  ...timingFields,
});

export const healthStageSchema = z.strictObject({
  name: z.string().min(1),
  endpoint: urlPath,
  start_period: duration.optional(),
  interval: duration.optional(),
  timeout: duration.optional(),
});

const stagedHealthSchema = z.strictObject({
  type: z.literal("staged"),
  stages: z.array(healthStageSchema).min(1),
  dependency_checks: dependencyChecks.optional(),
  ...timingFields,
});

export const healthCheckSchema = z.discriminatedUnion("type", [
  httpHealthSchema,
  compositeHealthSchema,
  stagedHealthSchema,
]);

/** An agent's check taken from `health_templates`, with its timing optionally overridden. */
const templateReferenceSchema = z.strictObject({
  template: z.string().min(1),
  endpoint: urlPath.optional(),
  dependency_checks: dependencyChecks.optional(),
  ...timingFields,
});

/** Either a full check or a template reference, told apart by the `template` key. */
const agentHealthSchema = z
  .unknown()
  .transform((value, ctx): HealthCheckEntry | TemplateReference => {
    const isReference = typeof value === "object" && value !== null && "template" in value;
    const result = (isReference ? templateReferenceSchema : healthCheckSchema).safeParse(value);
    if (result.success) return result.data;
    ctx.issues.push(...(result.error.issues as z.core.$ZodRawIssue[]));
    return z.NEVER;
  });

const restartSchema = z.strictObject({
  condition: z.enum(["any", "on-failure", "none"]).optional(),
  delay: duration.optional(),
  max_attempts: z.int().min(0).optional(),
});

const gpuSchema = z.union([
  z.boolean(),
  z.strictObject({ count: count.optional(), device_ids: z.array(z.string()).min(1).optional() }),
]);

const modelsSchema = z.strictObject({
  preload: z.array(z.string().min(1)).optional(),
  on_demand: z.array(z.string().min(1)).optional(),
  cache_strategy: z
    .strictObject({
      max_models_in_memory: count.optional(),
      eviction_policy: z.literal("lru").optional(),
      idle_timeout: duration.optional(),
    })
    .optional(),
});

const memory = z.string().regex(/^\d+(?:Ki|Mi|Gi)$/, {
  message: 'expected a memory size in Ki, Mi or Gi, such as "512Mi" or "2Gi"',
});

const resourcesSchema = z.strictObject({
  cpus: z.number().positive().optional(),
  memory: memory.optional(),
  memory_reservation: memory.optional(),
});

const securitySchema = z.strictObject({
  read_only_root_filesystem: z.boolean().optional(),
  user: z.string().optional(),
});

const portsSchema = z.strictObject({
  service: port.optional(),
  health: port,
});

export const agentSchema = z.strictObject({
  name: agentName,
  image: z.string().min(1),
  /** Wave the seed declares; defaults to the group's. */
  wave: z.string().optional(),
  /** Marks an agent the seed only implies ("Others", "all agents"), named by us. */
  stand_in: z.boolean().optional(),
  ports: portsSchema,
  depends_on: z.array(agentName).optional(),
  critical: z.boolean().optional(),
  gpu: gpuSchema.optional(),
  models: modelsSchema.optional(),
  health_check: agentHealthSchema,
  restart: restartSchema.optional(),
  resources: resourcesSchema.optional(),
  security: securitySchema.optional(),
  environment: z.record(z.string(), z.string()).optional(),
});

const groupSchema = z.strictObject({
  description: z.string().optional(),
  /** Default wave of the group's agents. */
  wave: z.string().optional(),
  critical: z.boolean().optional(),
  agents: z.array(agentSchema).min(1),
});

const waveSchema = z.strictObject({
  name: agentName,
  description: z.string().optional(),
  /** The seed's time window for the wave, e.g. ["60s", "180s"]. */
  window: z.tuple([duration, duration]),
});

const FAILURE_CONDITION =
  /^(?:critical_service_unhealthy|(?:health_check_failures|error_rate)\s*>\s*\d+(?:\.\d+)?%)$/;

const rollbackPolicySchema = z.strictObject({
  health_check_window: duration,
  failure_conditions: z
    .array(
      z.strictObject({
        condition: z.string().regex(FAILURE_CONDITION, {
          message:
            'expected "health_check_failures > N%", "error_rate > N%" or "critical_service_unhealthy"',
        }),
        action: z.enum(["immediate_rollback", "gradual_rollback"]),
      }),
    )
    .min(1),
  rollback_stages: z
    .array(
      z.enum([
        "pause_new_deployment",
        "route_traffic_to_old",
        "terminate_unhealthy_new",
        "restore_old_version",
      ]),
    )
    .min(1),
});

const alertThresholdsSchema = z.strictObject({
  startup_time: duration.optional(),
  health_check_duration: duration.optional(),
  dependency_check_failures: count.optional(),
  restarts: count.optional(),
});

export const fleetFileSchema = z.strictObject({
  host: agentName,
  description: z.string().optional(),
  waves: z.array(waveSchema).min(1),
  defaults: z
    .strictObject({
      health_check: z.strictObject(timingFields).optional(),
      restart: restartSchema.optional(),
      resources: resourcesSchema.optional(),
      security: securitySchema.optional(),
    })
    .optional(),
  health_templates: z.record(agentName, healthCheckSchema).optional(),
  rollback_policy: rollbackPolicySchema.optional(),
  alert_thresholds: alertThresholdsSchema.optional(),
  groups: z.record(agentName, groupSchema),
});

export type FleetFile = z.output<typeof fleetFileSchema>;
export type AgentEntry = z.output<typeof agentSchema>;
export type HealthCheckEntry = z.output<typeof healthCheckSchema>;
export type TemplateReference = z.output<typeof templateReferenceSchema>;
export type RestartEntry = z.output<typeof restartSchema>;
export type ResourcesEntry = z.output<typeof resourcesSchema>;
export type SecurityEntry = z.output<typeof securitySchema>;
