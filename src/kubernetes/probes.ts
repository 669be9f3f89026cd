import { healthEndpoint, healthSubPath } from "../fleet/health-endpoint";
import type { Agent, HealthModel, HealthStage } from "../fleet/model";
import { healthTiming, sharedTimeoutSeconds } from "../fleet/timing";

/**
 * An agent's health model compiled to Kubernetes probes. Pure: no Pulumi, no I/O.
 *
 * The derivation rule (docs/kubernetes-target.md has it as a table):
 *
 * - Paths. A staged check gives its stages' endpoints: the startup probe asks the `startup`
 *   stage (the first stage if none is so named), the readiness probe the `ready` stage (the last
 *   stage if none is so named). Any other check follows the health runtime's endpoint convention
 *   (every agent serves `<endpoint>/startup` and `<endpoint>/ready` next to `<endpoint>`, whose
 *   `/ready` passes when every critical stage does, degraded or not: what the Docker probe calls
 *   healthy): startup asks `<endpoint>/startup`, readiness `<endpoint>/ready`. Liveness asks the
 *   health endpoint itself (an http check's `endpoint`, `/health` otherwise). Every probe goes to
 *   the health port.
 * - Readiness carries Docker's timing: the first probe one interval after the start
 *   (`initialDelaySeconds` = `periodSeconds` = interval), the check's timeout, its success and
 *   failure thresholds.
 * - Startup runs from the start at the startup stage's interval (the check's interval
 *   otherwise), and gives up only after at least {@link STARTUP_FAILURE_THRESHOLD_FLOOR} failures
 *   and never before the agent's Docker worst case time to healthy (nor the startup stage's
 *   start period): `failureThreshold × periodSeconds ≥ max(worst case, start period)`.
 * - Liveness starts after the start period and probes half as often as readiness
 *   (`periodSeconds` = {@link LIVENESS_PERIOD_FACTOR} × interval), within the timeout the
 *   Docker probe gives the health endpoint (a staged check's own timeout, not its stages' sum):
 *   a failed liveness probe restarts the container, a failed readiness probe only takes it out
 *   of its Service.
 *
 * With the seed's ServiceRegistry (http /health, interval 5s, timeout 3s, start period 10s,
 * success 1, failure 3, health port 8200) this yields exactly seed §4.2's three probes.
 */

/** Seed §4.2: `failureThreshold: 30  # 30 * 5 = 150s max startup`; the fewest startup failures. */
export const STARTUP_FAILURE_THRESHOLD_FLOOR = 30;
/** Liveness probes this many times less often than readiness (seed §4.2: 10s against 5s). */
export const LIVENESS_PERIOD_FACTOR = 2;

export interface HttpGetAction {
  path: string;
  port: number;
}

/** The fields of a Kubernetes probe this target sets; plain data, as in the manifest. */
export interface HttpProbe {
  httpGet: HttpGetAction;
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  /** Readiness only: Kubernetes requires 1 for liveness and startup probes. */
  successThreshold?: number;
  failureThreshold: number;
}

export interface AgentProbes {
  livenessProbe: HttpProbe;
  readinessProbe: HttpProbe;
  startupProbe: HttpProbe;
}

/** The stage a probe reads: the one so named, else the first (startup) or last (ready). */
export function probeStage(
  health: HealthModel,
  role: "startup" | "ready",
): HealthStage | undefined {
  if (health.stages.length === 0) return undefined;
  const named = health.stages.find((stage) => stage.name === role);
  if (named) return named;
  return role === "startup" ? health.stages[0] : health.stages[health.stages.length - 1];
}

/** The seconds the startup probe must allow before it gives up on the container. */
export function startupBudgetSeconds(health: HealthModel): number {
  const stage = probeStage(health, "startup");
  return Math.max(healthTiming(health).worstSeconds, stage?.startPeriodSeconds ?? 0);
}

export function agentProbes(agent: Agent): AgentProbes {
  const health = agent.health;
  const port = agent.healthPort;
  const base = healthEndpoint(agent);

  const startup = probeStage(health, "startup");
  const ready = probeStage(health, "ready");

  const startupPeriod = startup?.intervalSeconds ?? health.intervalSeconds;
  const startupProbe: HttpProbe = {
    httpGet: {
      path: startup?.check.path ?? healthSubPath(agent, "startup"),
      port: startup?.check.port ?? port,
    },
    initialDelaySeconds: 0,
    periodSeconds: startupPeriod,
    timeoutSeconds: startup?.timeoutSeconds ?? health.timeoutSeconds,
    failureThreshold: Math.max(
      STARTUP_FAILURE_THRESHOLD_FLOOR,
      Math.ceil(startupBudgetSeconds(health) / startupPeriod),
    ),
  };

  const readyPeriod = ready?.intervalSeconds ?? health.intervalSeconds;
  const readinessProbe: HttpProbe = {
    httpGet: {
      path: ready?.check.path ?? healthSubPath(agent, "ready"),
      port: ready?.check.port ?? port,
    },
    initialDelaySeconds: readyPeriod,
    periodSeconds: readyPeriod,
    timeoutSeconds: ready?.timeoutSeconds ?? health.timeoutSeconds,
    successThreshold: health.successThreshold,
    failureThreshold: health.failureThreshold,
  };

  const livenessProbe: HttpProbe = {
    httpGet: { path: base, port },
    initialDelaySeconds: health.startPeriodSeconds,
    periodSeconds: LIVENESS_PERIOD_FACTOR * health.intervalSeconds,
    timeoutSeconds: sharedTimeoutSeconds(health),
    failureThreshold: health.failureThreshold,
  };

  return { livenessProbe, readinessProbe, startupProbe };
}
