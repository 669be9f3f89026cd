import { METRIC_NAMES } from "../health/metric-names";
import type { Fleet } from "../fleet/model";

/**
 * Prometheus alert rules generated from a fleet (seed §6.1 thresholds, §6.2 alerts). Pure data:
 * the Docker target writes them to a rules file, the Kubernetes target wraps them in a
 * PrometheusRule. The shapes mirror Prometheus' rule file format, so `{ groups }` serialized as
 * YAML is a valid rules file.
 */

/** The scrape job every agent target belongs to; the rules select on it. */
export const AGENT_JOB = "cascade-agents";

/** One alerting rule, as in a Prometheus rules file. */
export interface PrometheusAlertRule {
  alert: string;
  expr: string;
  /** A Prometheus duration ("30s", "1m"); omitted fires on the first evaluation. */
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** A rule group, as in a Prometheus rules file (and a PrometheusRule's spec.groups). */
export interface PrometheusRuleGroup {
  name: string;
  interval?: string;
  rules: PrometheusAlertRule[];
}

/** Names of the alerts the rules define, for tests and for the dashboards' annotations. */
export const ALERT_NAMES = {
  startupTimeout: "ServiceStartupTimeout",
  criticalServiceDown: "CriticalServiceDown",
  healthCheckSlow: "HealthCheckSlow",
  dependencyCheckFailing: "DependencyCheckFailing",
  restartingTooOften: "ServiceRestartingTooOften",
  targetMissing: "ScrapeTargetMissing",
} as const;

/** The rule groups for one host's fleet. Deterministic: same fleet, same rules, same order. */
export function alertRules(fleet: Fleet): PrometheusRuleGroup[] {
  const t = fleet.alertThresholds;
  const job = `job="${AGENT_JOB}"`;
  const startup: PrometheusAlertRule[] = [
    {
      // Seed §6.2 as written, with the metric renamed to Prometheus conventions
      // (startup_time_seconds -> cascade_startup_duration_seconds) and the threshold from §6.1.
      alert: ALERT_NAMES.startupTimeout,
      expr: `${METRIC_NAMES.startupDuration} > ${t.startupTimeSeconds}`,
      for: "1m",
      labels: { severity: "critical" },
      annotations: {
        summary: "Service {{ $labels.service }} startup timeout",
        description: `{{ $labels.service }} has taken more than ${t.startupTimeSeconds} seconds to start`,
      },
    },
    {
      // Seed §6.2 selects group="core_platform"; every target carries `critical`, so this covers
      // MainPC's core_platform and PC2's critical core services alike.
      alert: ALERT_NAMES.criticalServiceDown,
      expr: `up{${job},critical="true"} == 0`,
      for: "30s",
      labels: { severity: "critical" },
      annotations: {
        summary: "Critical service {{ $labels.service }} is down",
        description:
          "Critical service {{ $labels.service }} ({{ $labels.group }}) has been down for 30s",
      },
    },
    {
      // §6.1 health_check_duration_ms > 5000: a check slower than the threshold in the last
      // 5 minutes, from the histogram (checks in total minus checks at or under the bound).
      alert: ALERT_NAMES.healthCheckSlow,
      expr: healthCheckSlowExpr(t.healthCheckDurationSeconds),
      labels: { severity: "warning" },
      annotations: {
        summary: "Slow health checks on {{ $labels.service }}",
        description: `{{ $value }} {{ $labels.check_type }} health checks of {{ $labels.service }} took more than ${t.healthCheckDurationSeconds} seconds in the last 5 minutes`,
      },
    },
    {
      // §6.1 dependency_check_failures, "alert after 3 consecutive failures": the gauge of the
      // current run of failures, not the counter (which never says "consecutive").
      alert: ALERT_NAMES.dependencyCheckFailing,
      expr: `${METRIC_NAMES.dependencyConsecutiveFailures} >= ${t.dependencyCheckFailures}`,
      labels: { severity: "warning" },
      annotations: {
        summary: "{{ $labels.service }} cannot reach {{ $labels.dependency }}",
        description: `{{ $labels.service }} failed {{ $value }} consecutive checks of {{ $labels.dependency }} (threshold ${t.dependencyCheckFailures})`,
      },
    },
    {
      // §6.1 restart_count >= 5: the agents persist the count across restarts, summed over reasons.
      alert: ALERT_NAMES.restartingTooOften,
      expr: `sum by (service) (${METRIC_NAMES.restarts}) >= ${t.restarts}`,
      labels: { severity: "warning" },
      annotations: {
        summary: "{{ $labels.service }} keeps restarting",
        description: `{{ $labels.service }} has restarted {{ $value }} times (threshold ${t.restarts})`,
      },
    },
  ];
  // `up == 0` never fires for a target that is gone (a removed container, a broken scrape
  // config): its series simply stops. absent() per expected agent catches that.
  const presence: PrometheusAlertRule[] = fleet.agents.map((agent) => ({
    alert: ALERT_NAMES.targetMissing,
    expr: `absent(up{${job},service="${agent.name}"})`,
    for: "1m",
    // service makes each rule distinct (promtool flags rules with equal name and labels).
    labels: {
      severity: agent.critical ? "critical" : "warning",
      service: agent.name,
      group: agent.group,
      wave: String(agent.wave),
    },
    annotations: {
      summary: `${agent.name} is not being scraped`,
      description: `No scrape target for ${agent.name} (${agent.group}, wave ${agent.wave}) has reported for 1m: the container or its scrape config is gone`,
    },
  }));
  return [
    { name: "cascade_startup_alerts", rules: startup },
    { name: "cascade_target_presence", rules: presence },
  ];
}

function healthCheckSlowExpr(thresholdSeconds: number): string {
  const name = METRIC_NAMES.healthCheckDuration;
  // Prometheus 3 writes `le` as a float ("5.0"); 2.x keeps the exposition's "5".
  const le = leMatcher(thresholdSeconds);
  return (
    `sum by (service, check_type) (increase(${name}_count[5m]))` +
    ` - sum by (service, check_type) (increase(${name}_bucket{le=~"${le}"}[5m])) > 0`
  );
}

function leMatcher(seconds: number): string {
  const text = String(seconds);
  const escaped = text.replace(/\./g, "\\\\.");
  return Number.isInteger(seconds) ? `${escaped}|${escaped}\\\\.0` : escaped;
}
