import { z } from "zod";
import { NO_MODELS, readModelConfig, type ModelConfig } from "./model-config";

/**
 * The stand-in agent's configuration, all from environment variables; docs/health-runtime.md
 * has the same table for operators. Durations are milliseconds.
 */

const milliseconds = z.coerce.number().int().min(0);
const flag = z
  .enum(["", "0", "1", "false", "true"])
  .transform((value) => value === "1" || value === "true");
const port = z.coerce.number().int().min(0).max(65535);

export const dependencySchema = z.strictObject({
  name: z.string().min(1),
  url: z.url({ protocol: /^http$/ }),
  critical: z.boolean().default(true),
});
export type Dependency = z.infer<typeof dependencySchema>;

const dependencies = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "expected a JSON list" });
      return z.NEVER;
    }
  })
  .pipe(z.array(dependencySchema));

const checkNames = z.string().transform((text) =>
  text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0),
);

const DEFAULT_PORT = 8080;

const envSchema = z.object({
  CASCADE_SERVICE: z.string().min(1).default("standin"),
  CASCADE_SERVICE_VERSION: z.string().min(1).default("0.0.0-standin"),
  CASCADE_GROUP: z.string().default(""),
  CASCADE_WAVE: z.string().default(""),
  CASCADE_SERVICE_PORT: port.optional(),
  CASCADE_HEALTH_PORT: port.optional(),
  CASCADE_BIND_ADDRESS: z.enum(["127.0.0.1", "0.0.0.0"]).default("127.0.0.1"),
  CASCADE_LISTEN_DELAY_MS: milliseconds.default(0),
  CASCADE_STARTUP_DELAY_MS: milliseconds.default(0),
  CASCADE_MODEL_CONFIG: z.string().min(1).optional(),
  CASCADE_MODEL_LOAD_MS: milliseconds.default(0),
  CASCADE_DEPENDENCIES: dependencies.default([]),
  CASCADE_DEPENDENCY_INTERVAL_MS: milliseconds.min(10).default(2000),
  CASCADE_DEPENDENCY_TIMEOUT_MS: milliseconds.min(1).default(1000),
  CASCADE_BREAKER_FAILURE_THRESHOLD: z.coerce.number().int().min(1).default(5),
  CASCADE_BREAKER_TIMEOUT_MS: milliseconds.default(60_000),
  CASCADE_NEVER_READY: flag.default(false),
  CASCADE_DEGRADED: flag.default(false),
  CASCADE_CRASH_AFTER_MS: milliseconds.optional(),
  CASCADE_CRASH_EXIT_CODE: z.coerce.number().int().min(1).max(255).default(1),
  CASCADE_RESPONSE_DELAY_MS: milliseconds.default(0),
  CASCADE_HANG: flag.default(false),
  CASCADE_FLAP_PERIOD_MS: milliseconds.default(0),
  CASCADE_FAILING_CHECKS: checkNames.default([]),
  CASCADE_ERROR_RATE: z.coerce.number().min(0).max(1).optional(),
  CASCADE_STATE_FILE: z.string().min(1).optional(),
});

export interface StandinConfig {
  service: { name: string; version: string; group: string; wave: string };
  /** Every route is served on each of these ports (CASCADE_SERVICE_PORT and CASCADE_HEALTH_PORT, deduplicated). */
  ports: number[];
  bindAddress: "127.0.0.1" | "0.0.0.0";
  listenDelayMs: number;
  startupDelayMs: number;
  models: ModelConfig;
  modelLoadMs: number;
  dependencies: Dependency[];
  dependencyIntervalMs: number;
  dependencyTimeoutMs: number;
  breaker: { failureThreshold: number; timeoutMs: number };
  /** Where past runs are remembered, to count restarts; unset means not counted. */
  stateFile: string | undefined;
  misbehaviour: {
    neverReady: boolean;
    degraded: boolean;
    crashAfterMs: number | undefined;
    crashExitCode: number;
    responseDelayMs: number;
    hang: boolean;
    flapPeriodMs: number;
    failingChecks: string[];
    /** Reported as metrics.error_rate, over at least 1 request/s: a release failing its requests. */
    errorRate: number | undefined;
  };
}

/** Parses the environment; throws a ZodError naming every bad variable. */
export function parseStandinConfig(env: NodeJS.ProcessEnv): StandinConfig {
  const e = envSchema.parse(env);
  return {
    service: {
      name: e.CASCADE_SERVICE,
      version: e.CASCADE_SERVICE_VERSION,
      group: e.CASCADE_GROUP,
      wave: e.CASCADE_WAVE,
    },
    ports: servedPorts(e.CASCADE_SERVICE_PORT, e.CASCADE_HEALTH_PORT),
    bindAddress: e.CASCADE_BIND_ADDRESS,
    listenDelayMs: e.CASCADE_LISTEN_DELAY_MS,
    startupDelayMs: e.CASCADE_STARTUP_DELAY_MS,
    models:
      e.CASCADE_MODEL_CONFIG === undefined ? NO_MODELS : readModelConfig(e.CASCADE_MODEL_CONFIG),
    modelLoadMs: e.CASCADE_MODEL_LOAD_MS,
    dependencies: e.CASCADE_DEPENDENCIES,
    dependencyIntervalMs: e.CASCADE_DEPENDENCY_INTERVAL_MS,
    dependencyTimeoutMs: e.CASCADE_DEPENDENCY_TIMEOUT_MS,
    breaker: {
      failureThreshold: e.CASCADE_BREAKER_FAILURE_THRESHOLD,
      timeoutMs: e.CASCADE_BREAKER_TIMEOUT_MS,
    },
    stateFile: e.CASCADE_STATE_FILE,
    misbehaviour: {
      neverReady: e.CASCADE_NEVER_READY,
      degraded: e.CASCADE_DEGRADED,
      crashAfterMs: e.CASCADE_CRASH_AFTER_MS,
      crashExitCode: e.CASCADE_CRASH_EXIT_CODE,
      responseDelayMs: e.CASCADE_RESPONSE_DELAY_MS,
      hang: e.CASCADE_HANG,
      flapPeriodMs: e.CASCADE_FLAP_PERIOD_MS,
      failingChecks: e.CASCADE_FAILING_CHECKS,
      errorRate: e.CASCADE_ERROR_RATE,
    },
  };
}

/** An agent without a service port serves on its health port alone; with neither, on 8080. */
function servedPorts(service: number | undefined, health: number | undefined): number[] {
  return [...new Set([service ?? health ?? DEFAULT_PORT, health ?? service ?? DEFAULT_PORT])];
}
