import type { HealthModel } from "./model";

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

export function healthTiming(health: HealthModel): HealthTiming {
  const probeCycle = health.intervalSeconds + health.timeoutSeconds;
  return {
    bestSeconds: health.intervalSeconds,
    worstSeconds: health.startPeriodSeconds + health.retries * probeCycle,
  };
}
