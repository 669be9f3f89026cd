import type { Agent, HealthModel } from "./model";

/** How long after its start an agent can be healthy, under Docker's health check rules. */
export interface HealthTiming {
  /** The first probe passes: Docker runs it one interval after the start. */
  bestSeconds: number;
  /**
   * An upper bound on the last moment Docker can still call it healthy: probes fail through the
   * start period, then each of `retries` probes takes up to interval + timeout, and the last of
   * them passes. One more failure and Docker marks the container unhealthy.
   */
  worstSeconds: number;
}

/** Best and worst, and what a user should expect to see (`agentTiming`). */
export interface AgentTiming extends HealthTiming {
  /** The first probe after the agent is expected to be ready (`expectedStartupSeconds`). */
  expectedSeconds: number;
}

export function healthTiming(health: HealthModel): HealthTiming {
  const probeCycle = health.intervalSeconds + health.timeoutSeconds;
  return {
    bestSeconds: health.intervalSeconds,
    worstSeconds: health.startPeriodSeconds + health.retries * probeCycle,
  };
}

export function agentTiming(agent: Pick<Agent, "models" | "health">): AgentTiming {
  return {
    ...healthTiming(agent.health),
    expectedSeconds: firstPassingProbe(agent.health.intervalSeconds, expectedStartupSeconds(agent)),
  };
}

/**
 * When Docker first sees an agent pass, in the unit of its arguments: its first probe runs one
 * interval after the start, then one every interval, and the first that runs once the agent is
 * ready passes. Docker marks it healthy at that probe; the start period is not waited for (it
 * only keeps earlier failures from counting toward `retries`). With no interval at all (a
 * sketch in a test; fleets cannot say 0s), the probe that passes is the one at `ready`.
 */
export function firstPassingProbe(interval: number, ready: number): number {
  if (interval <= 0) return ready;
  return interval * Math.max(1, Math.ceil(ready / interval));
}

/**
 * How long an agent is expected to need before it answers its checks. A fleet states no
 * start-up times, only how long Docker waits (start periods). An agent that loads models at its
 * start (a preload list or a staged check) is taken to need its start period, the seed's own
 * reading ("start_period: 180s # 3 minutes for model loading"); any other agent is expected to
 * answer by its first probe.
 */
export function expectedStartupSeconds(agent: Pick<Agent, "models" | "health">): number {
  const loadsAtStart = (agent.models?.preload.length ?? 0) > 0 || agent.health.kind === "staged";
  return loadsAtStart ? agent.health.startPeriodSeconds : 0;
}

/**
 * The part of Docker's timeout that the probe's stages other than a staged check's own share
 * (process, port, the agent's checks, dependencies, fully operational): all of it for http and
 * composite checks, the check's own timeout for a staged one, whose stages keep theirs.
 */
export function sharedTimeoutSeconds(health: HealthModel): number {
  const staged = health.stages.reduce((sum, stage) => sum + stage.timeoutSeconds, 0);
  return health.timeoutSeconds - staged;
}
