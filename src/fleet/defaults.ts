import type { AlertThresholds, RollbackPolicy } from "./model";

/**
 * What a fleet file gets where it is silent. Health timing mirrors Docker's own HEALTHCHECK
 * defaults, so a check reads the same in the fleet file as in `docker inspect`.
 */
export const DOCKER_HEALTH_DEFAULTS = {
  intervalSeconds: 30,
  timeoutSeconds: 30,
  retries: 3,
  startPeriodSeconds: 0,
  successThreshold: 1,
} as const;

/** Docker's default is no restart; a fleet that wants the seed's policy says so in `defaults`. */
export const RESTART_DEFAULTS = { condition: "none", delaySeconds: 0, maxAttempts: 0 } as const;

export const MODEL_CACHE_DEFAULTS = {
  evictionPolicy: "lru",
  idleTimeoutSeconds: 30 * 60,
} as const;

export const HEALTH_ENDPOINT = "/health";

/** Seed section 7.1. */
export const SEED_ROLLBACK_POLICY: RollbackPolicy = {
  healthCheckWindowSeconds: 300,
  failureConditions: [
    { kind: "health_check_failures", aboveRatio: 0.5, action: "immediate_rollback" },
    { kind: "critical_service_unhealthy", action: "immediate_rollback" },
    { kind: "error_rate", aboveRatio: 0.1, action: "gradual_rollback" },
  ],
  rollbackStages: [
    "pause_new_deployment",
    "route_traffic_to_old",
    "terminate_unhealthy_new",
    "restore_old_version",
  ],
};

/** Seed section 6.1. */
export const SEED_ALERT_THRESHOLDS: AlertThresholds = {
  startupTimeSeconds: 300,
  healthCheckDurationSeconds: 5,
  dependencyCheckFailures: 3,
  restarts: 5,
};
