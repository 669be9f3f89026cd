/**
 * The names of cascade's startup metrics (seed §6.1) in Prometheus conventions: base units,
 * `_seconds`, `_total` for counters. Agents (the stand-in) export them; the Docker target's
 * alert rules and the dashboard query them. Import from here; never spell a name twice.
 */

export const METRIC_NAMES = {
  /** gauge{service,group,wave}: seconds from process start to ready (seed: startup_time_seconds). */
  startupDuration: "cascade_startup_duration_seconds",
  /** histogram{service,check_type}: seconds one health check took (seed: health_check_duration_ms). */
  healthCheckDuration: "cascade_health_check_duration_seconds",
  /** counter{service,dependency}: failed dependency checks (seed: dependency_check_failures). */
  dependencyCheckFailures: "cascade_dependency_check_failures_total",
  /** gauge{service,dependency}: current run of failed checks, for the seed's "3 consecutive" alert. */
  dependencyConsecutiveFailures: "cascade_dependency_check_consecutive_failures",
  /** counter{service,reason}: restarts (seed: restart_count). */
  restarts: "cascade_restarts_total",
  /**
   * counter{service,outcome}: requests served, health checks and scrapes left out; outcome
   * "error" for a 5xx answer, else "ok". The verify window's error rate when monitoring runs.
   */
  requests: "cascade_requests_total",
} as const;

export const METRIC_LABELS = {
  startupDuration: ["service", "group", "wave"],
  healthCheckDuration: ["service", "check_type"],
  dependencyCheckFailures: ["service", "dependency"],
  dependencyConsecutiveFailures: ["service", "dependency"],
  restarts: ["service", "reason"],
  requests: ["service", "outcome"],
} as const satisfies Record<keyof typeof METRIC_NAMES, readonly string[]>;

/** How often Prometheus scrapes the agents, on every target. */
export const SCRAPE_INTERVAL_SECONDS = 15;

/** `le` bounds of the health check histogram; 5 s is one of them so the alert is exact. */
export const HEALTH_CHECK_DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** The seed's alert thresholds (§6.1), in the metrics' base units. */
export const SEED_ALERT_THRESHOLDS = {
  startupDurationSeconds: 300,
  healthCheckDurationSeconds: 5,
  dependencyConsecutiveFailures: 3,
  restarts: 5,
} as const;
