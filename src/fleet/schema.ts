import { z } from "zod";
import { durationProblem, durationSeconds } from "./duration";
import { fieldMessage } from "./field-messages";
import { memoryBytes } from "./memory";
import { nameProblem } from "./names";
import { quote } from "./problems";

/**
 * The fleet file format (fleet/*.yaml), as written by operators. Every object is strict:
 * an unknown key is an error, never silently ignored. Durations are strings ("5s", "2m")
 * parsed once here into seconds. Defaults that mirror Docker's are applied in `normalize.ts`,
 * not here, so that templates and group defaults can be merged first.
 */

/**
 * A string held to `problem`: undefined when the value is fine, else the message.
 * `notText` is the message for a value that is not a string at all (zod's own when omitted).
 */
function checkedString(problem: (value: string) => string | undefined, notText?: string) {
  const error = (issue: { input?: unknown }) => (issue.input === undefined ? undefined : notText);
  return z.string({ error }).check((ctx) => {
    const message = problem(ctx.value);
    if (message !== undefined) ctx.issues.push({ code: "custom", message, input: ctx.value });
  });
}

const duration = checkedString(
  durationProblem,
  'expected a duration such as "5s", "2m" or "1m30s": a number needs its unit',
).transform(durationSeconds);
/** Docker reads a 0 interval or timeout as "use the default" (30s), so 0 is never meant. */
const positiveDuration = duration.refine((seconds) => seconds > 0, {
  message:
    'must be longer than 0s (Docker would read 0 as its 30s default); write the time you mean, such as "5s"',
});

const port = z.int().min(1).max(65535);
/** Agents, groups, waves, templates and the host: names that become container and DNS names. */
const agentName = checkedString(nameProblem);
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
  interval: positiveDuration.optional(),
  timeout: positiveDuration.optional(),
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
  interval: positiveDuration.optional(),
  timeout: positiveDuration.optional(),
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
  template: agentName,
  endpoint: urlPath.optional(),
  dependency_checks: dependencyChecks.optional(),
  ...timingFields,
});

/** Either a full check or a template reference, told apart by the `template` key. */
const agentHealthSchema = z
  .unknown()
  .transform((value, ctx): HealthCheckEntry | TemplateReference => {
    const isReference = typeof value === "object" && value !== null && "template" in value;
    const schema = isReference ? templateReferenceSchema : healthCheckSchema;
    const result = schema.safeParse(value, { error: fieldMessage });
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

const memory = checkedString((size) => {
  if (!/^\d+(?:Ki|Mi|Gi)$/.test(size)) {
    return `${quote(size)} is not a memory size: write one in Ki, Mi or Gi, such as "512Mi" or "2Gi"`;
  }
  if (!(memoryBytes(size) <= Number.MAX_SAFE_INTEGER)) {
    return `${quote(size)} is more memory than any host has; write the limit in Mi or Gi, such as "2Gi"`;
  }
  return undefined;
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
  wave: agentName.optional(),
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
  wave: agentName.optional(),
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
  health_check_window: positiveDuration,
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
  groups: z.record(agentName, groupSchema).refine((groups) => Object.keys(groups).length > 0, {
    message: "no groups, so no agents: add a group with at least one agent",
  }),
});

export type FleetFile = z.output<typeof fleetFileSchema>;
export type AgentEntry = z.output<typeof agentSchema>;
export type HealthCheckEntry = z.output<typeof healthCheckSchema>;
export type TemplateReference = z.output<typeof templateReferenceSchema>;
export type RestartEntry = z.output<typeof restartSchema>;
export type ResourcesEntry = z.output<typeof resourcesSchema>;
export type SecurityEntry = z.output<typeof securitySchema>;
