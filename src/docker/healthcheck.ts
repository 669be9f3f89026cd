import type { Agent, HealthModel, HttpCheck } from "../fleet/model";
import {
  PROBE_SPEC_VERSION,
  probeSpecSchema,
  worstCaseProbeDurationMs,
  type ProbeSpec,
  type ProbeStage,
} from "../health/probe-spec";

/**
 * THE place Docker healthchecks come from: an agent's health model compiled to the provider's
 * `healthcheck` block. Timing is the model's own (interval, timeout, retries, start period), so
 * the planner's worst case (`startPeriod + retries * (interval + timeout)`) is exactly what
 * Docker can take. What Docker cannot express is listed in docs/docker-target.md.
 */

/** The provider's `healthcheck` input with plain values; durations as Docker strings. */
export interface DockerHealthcheck {
  tests: string[];
  interval: string;
  timeout: string;
  retries: number;
  startPeriod: string;
}

export type HealthProbe = "cascade-probe" | "curl";

export interface HealthcheckOptions {
  probe: HealthProbe;
  /** Path of the probe binary inside the container (cascade-probe only). */
  probePath: string;
  /** Host name the agent reaches a dependency on: its container name, or 127.0.0.1. */
  dependencyHost: (service: string) => string;
}

/** Time the probe keeps for itself (exec, JSON out) inside Docker's timeout. */
const PROBE_OVERHEAD_MS = 500;
const MAX_STAGE_TIMEOUT_MS = 60_000;

/** Seconds as a Docker duration: 10 -> "10s", 0.5 -> "500ms". */
export function dockerDuration(seconds: number): string {
  if (Number.isInteger(seconds)) return `${seconds}s`;
  return `${Math.round(seconds * 1000)}ms`;
}

export function dockerHealthcheck(agent: Agent, options: HealthcheckOptions): DockerHealthcheck {
  const health = agent.health;
  return {
    tests:
      options.probe === "cascade-probe"
        ? ["CMD", options.probePath, "--spec-json", JSON.stringify(probeSpec(agent, options))]
        : ["CMD-SHELL", curlCommand(agent, options)],
    interval: dockerDuration(health.intervalSeconds),
    timeout: dockerDuration(health.timeoutSeconds),
    retries: health.retries,
    startPeriod: dockerDuration(health.startPeriodSeconds),
  };
}

/**
 * The progressive probe's spec (seed §1.3): port_listening -> api_responsive (or the staged
 * check's stages, in order) -> dependencies_connected (required) -> dependencies_optional
 * (non-critical: failing makes the agent degraded, not unhealthy). Every stage but the last
 * is critical, so a staged check is healthy only when its last stage passes. Stage timeouts
 * share Docker's timeout, so the probe always reports before Docker kills it.
 */
export function probeSpec(
  agent: Agent,
  options: Pick<HealthcheckOptions, "dependencyHost">,
): ProbeSpec {
  const health = agent.health;
  const draft: Omit<ProbeStage, "timeout_ms">[] = [
    {
      name: "port_listening",
      kind: "tcp",
      targets: [`127.0.0.1:${agent.healthPort}`],
      critical: true,
    },
  ];
  if (health.kind === "staged") {
    const used = new Set(draft.map((stage) => stage.name));
    for (const stage of health.stages) {
      draft.push(httpStage(uniqueStageName(stage.name, used), [stage.check], true));
    }
  } else {
    draft.push(...httpStagesByMethod("api_responsive", health.checks));
  }
  const url = (check: { service: string; port: number; path: string }): string =>
    `http://${options.dependencyHost(check.service)}:${check.port}${check.path}`;
  const required = health.dependencyChecks.filter((check) => check.required);
  const optional = health.dependencyChecks.filter((check) => !check.required);
  if (required.length > 0) {
    draft.push({
      name: "dependencies_connected",
      kind: "http",
      targets: required.map(url),
      critical: true,
    });
  }
  if (optional.length > 0) {
    draft.push({
      name: "dependencies_optional",
      kind: "http",
      targets: optional.map(url),
      critical: false,
    });
  }
  const budget = Math.max(draft.length, health.timeoutSeconds * 1000 - PROBE_OVERHEAD_MS);
  const perStage = Math.min(MAX_STAGE_TIMEOUT_MS, Math.floor(budget / draft.length));
  const spec = probeSpecSchema.parse({
    version: PROBE_SPEC_VERSION,
    service: agent.name,
    stages: draft.map((stage) => ({ ...stage, timeout_ms: perStage })),
  });
  if (worstCaseProbeDurationMs(spec) >= health.timeoutSeconds * 1000) {
    throw new Error(`${agent.name}: probe stages do not fit the ${health.timeoutSeconds}s timeout`);
  }
  return spec;
}

/** One stage per HTTP method (a stage has one method); the seed's POST /register/test is one. */
function httpStagesByMethod(name: string, checks: HttpCheck[]): Omit<ProbeStage, "timeout_ms">[] {
  const methods = [...new Set(checks.map((check) => check.method))];
  return methods.map((method, index) =>
    httpStage(
      index === 0 ? name : `${name}_${method.toLowerCase()}`,
      checks.filter((check) => check.method === method),
      true,
    ),
  );
}

function httpStage(
  name: string,
  checks: HttpCheck[],
  critical: boolean,
): Omit<ProbeStage, "timeout_ms"> {
  const method = checks[0]?.method ?? "GET";
  return {
    name,
    kind: "http",
    targets: checks.map((check) => `http://127.0.0.1:${check.port}${check.path}`),
    critical,
    ...(method === "GET" ? {} : { method }),
  };
}

function uniqueStageName(raw: string, used: Set<string>): string {
  let name = raw.toLowerCase().replace(/[^a-z0-9_]+/g, "_");
  if (!/^[a-z]/.test(name)) name = `stage_${name}`;
  let candidate = name;
  for (let i = 2; used.has(candidate); i++) candidate = `${name}_${i}`;
  used.add(candidate);
  return candidate;
}

/**
 * The curl fallback: every check as `curl -f`, required dependencies first (seed §2.2's
 * pre_checks), then the agent's own checks; for a staged check, its last stage only. Optional
 * dependencies are left out: curl has no "degraded".
 */
export function curlCommand(
  agent: Agent,
  options: Pick<HealthcheckOptions, "dependencyHost">,
): string {
  const health: HealthModel = agent.health;
  const maxTime = Math.max(1, health.timeoutSeconds - 1);
  const curl = (method: string, url: string): string =>
    `curl -fsS -o /dev/null --max-time ${maxTime}${method === "GET" ? "" : ` -X ${method}`} ${url}`;
  const commands = [
    ...health.dependencyChecks
      .filter((check) => check.required)
      .map((check) =>
        curl("GET", `http://${options.dependencyHost(check.service)}:${check.port}${check.path}`),
      ),
    ...health.checks.map((check) =>
      curl(check.method, `http://127.0.0.1:${check.port}${check.path}`),
    ),
  ];
  return commands.join(" && ");
}

/** The path users poll for the agent's health (stack output): its first GET check (staged: the last stage). */
export function healthPath(health: HealthModel): string {
  return health.checks.find((check) => check.method === "GET")?.path ?? "/health";
}
