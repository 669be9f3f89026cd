import type { Agent, HealthModel, HttpCheck } from "../fleet/model";
import { sharedTimeoutSeconds } from "../fleet/timing";
import {
  PROBE_SPEC_VERSION,
  SEED_STAGES,
  probeSpecSchema,
  worstCaseProbeDurationMs,
  type ProbeSpec,
  type ProbeStage,
  type SeedStageName,
} from "../health/probe-spec";
import { healthEndpoint } from "../fleet/health-endpoint";

/**
 * An agent's health model compiled to the progressive probe's spec (seed §1.3), the stages in
 * the seed's order:
 *
 * - process_started: the container's main process (`pid:1`) lives;
 * - port_listening: the health port accepts connections;
 * - api_responsive: the agent's checks (http: its endpoint and extra checks, one stage per HTTP
 *   method; composite: its sub-checks), or a staged check's stages in their order, each under
 *   its own name;
 * - dependencies_connected: the required dependency checks; dependencies_optional, the others;
 * - fully_operational: the agent's health endpoint reports `healthy`, not degraded.
 *
 * Criticality is the seed's: all critical but fully_operational and the optional dependencies,
 * whose failure makes the agent degraded (still healthy to Docker). Deadlines are the seed's
 * (10/30/60/90/120 s from the container's start; a staged check's stages: its start period, the
 * seed's own for them), a critical stage's capped at the container's start period: Docker
 * counts every failed run after it, so a critical stage past the start period is never
 * "starting". Timeouts: a staged check's stages keep their own; the other stages share the
 * check's timeout (`sharedTimeoutSeconds`), so the whole run fits Docker's timeout. A staged
 * stage whose interval is longer than Docker's (its stages' shortest) keeps it as `interval_ms`.
 */
export function probeSpec(
  agent: Agent,
  options: { dependencyHost: (service: string) => string },
): ProbeSpec {
  const health = agent.health;
  const deadline = (stage: SeedStageName): number => {
    const seed = SEED_STAGES[stage];
    const seconds = seed.critical
      ? Math.min(seed.deadlineSeconds, health.startPeriodSeconds)
      : seed.deadlineSeconds;
    return seconds * 1000;
  };
  const local: Draft[] = [
    {
      name: "process_started",
      kind: "process",
      targets: ["pid:1"],
      critical: true,
      deadline_ms: deadline("process_started"),
    },
    {
      name: "port_listening",
      kind: "tcp",
      targets: [`127.0.0.1:${agent.healthPort}`],
      critical: true,
      deadline_ms: deadline("port_listening"),
    },
  ];
  const own: Draft[] = health.stages.length > 0 ? stagedStages(health) : [];
  const shared: Draft[] =
    health.stages.length > 0
      ? []
      : httpStagesByMethod(health.checks).map((stage) => ({
          ...stage,
          critical: true,
          deadline_ms: deadline("api_responsive"),
        }));
  const url = (check: { service: string; port: number; path: string }): string =>
    `http://${options.dependencyHost(check.service)}:${check.port}${check.path}`;
  const required = health.dependencyChecks.filter((check) => check.required);
  const optional = health.dependencyChecks.filter((check) => !check.required);
  if (required.length > 0) {
    shared.push({
      name: "dependencies_connected",
      kind: "http",
      targets: required.map(url),
      critical: true,
      deadline_ms: deadline("dependencies_connected"),
    });
  }
  if (optional.length > 0) {
    shared.push({
      name: "dependencies_optional",
      kind: "http",
      targets: optional.map(url),
      critical: false,
      deadline_ms: SEED_STAGES.dependencies_connected.deadlineSeconds * 1000,
    });
  }
  shared.push({
    name: "fully_operational",
    kind: "health",
    targets: [`http://127.0.0.1:${agent.healthPort}${healthEndpoint(agent)}`],
    critical: false,
    deadline_ms: deadline("fully_operational"),
  });

  const budget = sharedBudget(health, local.length, shared.length);
  const spec = probeSpecSchema.parse({
    version: PROBE_SPEC_VERSION,
    service: agent.name,
    stages: [
      ...local.map((stage) => ({ ...stage, timeout_ms: budget.localMs })),
      ...own,
      ...shared.map((stage) => ({ ...stage, timeout_ms: budget.eachMs })),
    ],
  });
  if (worstCaseProbeDurationMs(spec) >= health.timeoutSeconds * 1000) {
    throw new Error(`${agent.name}: probe stages do not fit the ${health.timeoutSeconds}s timeout`);
  }
  return spec;
}

type Draft = Omit<ProbeStage, "timeout_ms">;

/** Time the probe keeps for itself (exec, JSON out, state file) inside Docker's timeout. */
const PROBE_OVERHEAD_MS = 500;
/** At most this for a local stage (reading /proc, a local connect: microseconds when well). */
const LOCAL_STAGE_TIMEOUT_MS = 250;
const MAX_STAGE_TIMEOUT_MS = 60_000;

/** How the check's shared timeout is split: local stages first, the rest evenly. */
function sharedBudget(
  health: HealthModel,
  localStages: number,
  sharedStages: number,
): { localMs: number; eachMs: number } {
  const available = sharedTimeoutSeconds(health) * 1000 - PROBE_OVERHEAD_MS;
  const localMs = Math.max(
    1,
    Math.min(LOCAL_STAGE_TIMEOUT_MS, Math.floor(available / (localStages + sharedStages))),
  );
  const eachMs = Math.max(1, Math.floor((available - localStages * localMs) / sharedStages));
  return { localMs, eachMs: Math.min(MAX_STAGE_TIMEOUT_MS, eachMs) };
}

/** A staged check's stages (seed §1.2) with their own timeout, deadline and interval. */
function stagedStages(health: HealthModel): ProbeStage[] {
  const used = new Set<string>([...Object.keys(SEED_STAGES), "dependencies_optional"]);
  return health.stages.map((stage) => ({
    ...httpStage(uniqueStageName(stage.name, used), [stage.check]),
    critical: true,
    timeout_ms: stage.timeoutSeconds * 1000,
    deadline_ms: health.startPeriodSeconds * 1000,
    ...(stage.intervalSeconds > health.intervalSeconds
      ? { interval_ms: stage.intervalSeconds * 1000 }
      : {}),
  }));
}

/** One stage per HTTP method (a stage has one method); the seed's POST /register/test is one. */
function httpStagesByMethod(checks: HttpCheck[]): Omit<Draft, "critical">[] {
  const methods = [...new Set(checks.map((check) => check.method))];
  return methods.map((method, index) =>
    httpStage(
      index === 0 ? "api_responsive" : `api_responsive_${method.toLowerCase()}`,
      checks.filter((check) => check.method === method),
    ),
  );
}

function httpStage(name: string, checks: HttpCheck[]): Omit<Draft, "critical"> {
  const method = checks[0]?.method ?? "GET";
  return {
    name,
    kind: "http",
    targets: checks.map((check) => `http://127.0.0.1:${check.port}${check.path}`),
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
