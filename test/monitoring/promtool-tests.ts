import type { Fleet } from "../../src/fleet/model";
import { METRIC_NAMES } from "../../src/health/metric-names";
import { AGENT_JOB, ALERT_NAMES } from "../../src/monitoring";

/**
 * `promtool test rules` unit tests for every alert the rules define, built from the fleet so
 * they follow it (agent names, groups, thresholds). Each alert gets a case that fires and one
 * that must not.
 */
export function promtoolTests(fleet: Fleet, rulesFile: string): object {
  const t = fleet.alertThresholds;
  const critical = fleet.agents.find((a) => a.critical)!;
  const calm = fleet.agents.find((a) => !a.critical)!;
  const [first, second] = fleet.agents;
  const missing = fleet.agents[fleet.agents.length - 1];
  const up = (agent: Fleet["agents"][number]): string =>
    `up{job="${AGENT_JOB}",instance="${agent.name}:${agent.healthPort}",service="${agent.name}",group="${agent.group}",wave="${agent.wave}",critical="${agent.critical}"}`;
  const upLabels = (agent: Fleet["agents"][number]) => ({
    job: AGENT_JOB,
    instance: `${agent.name}:${agent.healthPort}`,
    service: agent.name,
    group: agent.group,
    wave: String(agent.wave),
    critical: String(agent.critical),
  });
  const h = METRIC_NAMES.healthCheckDuration;
  return {
    rule_files: [rulesFile],
    evaluation_interval: "15s",
    tests: [
      {
        // What agents export (test/standin/standin.test.ts, "startup metric"): the seconds since
        // their process started while they are starting, frozen at their startup time once ready.
        name: "an agent stuck in startup fires 1m after it passes the threshold; one that started never",
        interval: "15s",
        input_series: [
          {
            // Never ready: the gauge grows by 15 s every 15 s scrape, past 300 s at 5m15s.
            series: `${METRIC_NAMES.startupDuration}{service="${first.name}",group="${first.group}",wave="${first.wave}"}`,
            values: "0+15x40",
          },
          {
            // Ready after 75 s, then frozen there.
            series: `${METRIC_NAMES.startupDuration}{service="${second.name}",group="${second.group}",wave="${second.wave}"}`,
            values: "0+15x5 75x35",
          },
        ],
        alert_rule_test: [
          { eval_time: "5m", alertname: ALERT_NAMES.startupTimeout, exp_alerts: [] },
          // Pending from 5m15s (315 s > 300 s), firing once that has held for the rule's 1m.
          { eval_time: "6m", alertname: ALERT_NAMES.startupTimeout, exp_alerts: [] },
          {
            eval_time: "6m15s",
            alertname: ALERT_NAMES.startupTimeout,
            exp_alerts: [
              {
                exp_labels: {
                  severity: "critical",
                  service: first.name,
                  group: first.group,
                  wave: String(first.wave),
                },
                exp_annotations: {
                  summary: `Service ${first.name} startup timeout`,
                  description: `${first.name} has taken more than ${t.startupTimeSeconds} seconds to start`,
                },
              },
            ],
          },
        ],
      },
      {
        name: "a critical target down for 30s fires; a non-critical one does not",
        interval: "15s",
        input_series: [
          { series: up(critical), values: "0x10" },
          { series: up(calm), values: "0x10" },
        ],
        alert_rule_test: [
          { eval_time: "15s", alertname: ALERT_NAMES.criticalServiceDown, exp_alerts: [] },
          {
            eval_time: "1m",
            alertname: ALERT_NAMES.criticalServiceDown,
            exp_alerts: [
              {
                exp_labels: { severity: "critical", ...upLabels(critical) },
                exp_annotations: {
                  summary: `Critical service ${critical.name} is down`,
                  description: `Critical service ${critical.name} (${critical.group}) has been down for 30s`,
                },
              },
            ],
          },
        ],
      },
      {
        name: "health checks slower than the threshold fire; fast ones do not",
        interval: "1m",
        input_series: [
          { series: `${h}_count{service="${first.name}",check_type="http"}`, values: "0+10x10" },
          {
            series: `${h}_bucket{service="${first.name}",check_type="http",le="${t.healthCheckDurationSeconds}"}`,
            values: "0+9x10",
          },
          { series: `${h}_count{service="${second.name}",check_type="http"}`, values: "0+10x10" },
          {
            series: `${h}_bucket{service="${second.name}",check_type="http",le="${t.healthCheckDurationSeconds}"}`,
            values: "0+10x10",
          },
        ],
        alert_rule_test: [
          {
            eval_time: "10m",
            alertname: ALERT_NAMES.healthCheckSlow,
            exp_alerts: [
              {
                exp_labels: { severity: "warning", service: first.name, check_type: "http" },
                exp_annotations: {
                  summary: `Slow health checks on ${first.name}`,
                  description: `5 http health checks of ${first.name} took more than ${t.healthCheckDurationSeconds} seconds in the last 5 minutes`,
                },
              },
            ],
          },
        ],
      },
      {
        name: "consecutive dependency failures at the threshold fire; fewer do not",
        interval: "15s",
        input_series: [
          {
            series: `${METRIC_NAMES.dependencyConsecutiveFailures}{service="${second.name}",dependency="${first.name}"}`,
            values: `${t.dependencyCheckFailures}x4`,
          },
          {
            series: `${METRIC_NAMES.dependencyConsecutiveFailures}{service="${first.name}",dependency="${second.name}"}`,
            values: `${t.dependencyCheckFailures - 1}x4`,
          },
        ],
        alert_rule_test: [
          {
            eval_time: "30s",
            alertname: ALERT_NAMES.dependencyCheckFailing,
            exp_alerts: [
              {
                exp_labels: { severity: "warning", service: second.name, dependency: first.name },
                exp_annotations: {
                  summary: `${second.name} cannot reach ${first.name}`,
                  description: `${second.name} failed ${t.dependencyCheckFailures} consecutive checks of ${first.name} (threshold ${t.dependencyCheckFailures})`,
                },
              },
            ],
          },
        ],
      },
      {
        name: "restarts summed over reasons reaching the threshold fire",
        interval: "15s",
        input_series: [
          {
            series: `${METRIC_NAMES.restarts}{service="${first.name}",reason="crash"}`,
            values: `${t.restarts - 2}x4`,
          },
          {
            series: `${METRIC_NAMES.restarts}{service="${first.name}",reason="oom"}`,
            values: "2x4",
          },
          {
            series: `${METRIC_NAMES.restarts}{service="${second.name}",reason="crash"}`,
            values: `${t.restarts - 1}x4`,
          },
        ],
        alert_rule_test: [
          {
            eval_time: "30s",
            alertname: ALERT_NAMES.restartingTooOften,
            exp_alerts: [
              {
                exp_labels: { severity: "warning", service: first.name },
                exp_annotations: {
                  summary: `${first.name} keeps restarting`,
                  description: `${first.name} has restarted ${t.restarts} times (threshold ${t.restarts})`,
                },
              },
            ],
          },
        ],
      },
      {
        name: "a target that disappears fires; the present ones do not",
        interval: "15s",
        input_series: fleet.agents
          .filter((a) => a !== missing)
          .map((a) => ({ series: up(a), values: "1x20" })),
        alert_rule_test: [
          { eval_time: "30s", alertname: ALERT_NAMES.targetMissing, exp_alerts: [] },
          {
            eval_time: "2m",
            alertname: ALERT_NAMES.targetMissing,
            exp_alerts: [
              {
                exp_labels: {
                  job: AGENT_JOB,
                  service: missing.name,
                  severity: missing.critical ? "critical" : "warning",
                  group: missing.group,
                  wave: String(missing.wave),
                },
                exp_annotations: {
                  summary: `${missing.name} is not being scraped`,
                  description: `No scrape target for ${missing.name} (${missing.group}, wave ${missing.wave}) has reported for 1m: the container or its scrape config is gone`,
                },
              },
            ],
          },
        ],
      },
    ],
  };
}
