import { stringify } from "yaml";
import { METRIC_NAMES } from "../health/metric-names";
import type { Fleet } from "../fleet/model";
import { AGENT_JOB } from "./rules";

/** Where the Grafana container finds the dashboards the provider below points at. */
export const GRAFANA_DASHBOARD_DIR = "/var/lib/grafana/dashboards/cascade";
export const STARTUP_DASHBOARD_UID = "cascade-startup";

/** provisioning/datasources/cascade.yml: the stack's Prometheus as the default datasource. */
export function grafanaDatasource(prometheusUrl: string): string {
  return stringify({
    apiVersion: 1,
    datasources: [
      {
        name: "Prometheus",
        uid: "cascade-prometheus",
        type: "prometheus",
        access: "proxy",
        url: prometheusUrl,
        isDefault: true,
        editable: false,
      },
    ],
  });
}

/** provisioning/dashboards/cascade.yml: load every dashboard in GRAFANA_DASHBOARD_DIR. */
export function grafanaDashboardProvider(): string {
  return stringify({
    apiVersion: 1,
    providers: [
      {
        name: "cascade",
        folder: "cascade",
        type: "file",
        disableDeletion: true,
        allowUiUpdates: false,
        options: { path: GRAFANA_DASHBOARD_DIR },
      },
    ],
  });
}

interface Panel {
  id: number;
  title: string;
  type: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource: { type: "prometheus"; uid: string };
  targets: { refId: string; expr: string; legendFormat: string; instant?: boolean }[];
  fieldConfig?: object;
  options?: object;
}

/**
 * The startup dashboard (seed "Next steps: setup monitoring dashboards"): time to healthy per
 * wave and per agent, targets up per group, restarts, dependency failures, slow checks.
 */
export function startupDashboard(fleet: Fleet): object {
  const ds = { type: "prometheus" as const, uid: "cascade-prometheus" };
  const t = fleet.alertThresholds;
  let id = 0;
  const panel = (
    title: string,
    type: string,
    gridPos: Panel["gridPos"],
    targets: Panel["targets"],
    extra: Partial<Panel> = {},
  ): Panel => ({ id: ++id, title, type, gridPos, datasource: ds, targets, ...extra });
  const startup = METRIC_NAMES.startupDuration;
  const seconds = { defaults: { unit: "s" } };
  const panels: Panel[] = [
    panel(
      "Time to healthy per wave (slowest agent)",
      "bargauge",
      { x: 0, y: 0, w: 12, h: 8 },
      [
        {
          refId: "A",
          expr: `max by (wave) (${startup})`,
          legendFormat: "wave {{wave}}",
          instant: true,
        },
      ],
      {
        fieldConfig: {
          defaults: {
            unit: "s",
            thresholds: {
              mode: "absolute",
              steps: [
                { color: "green", value: null },
                { color: "red", value: t.startupTimeSeconds },
              ],
            },
          },
        },
      },
    ),
    panel("Targets up per group", "stat", { x: 12, y: 0, w: 12, h: 8 }, [
      { refId: "A", expr: `sum by (group) (up{job="${AGENT_JOB}"})`, legendFormat: "{{group}}" },
    ]),
    panel(
      "Time to healthy per agent",
      "bargauge",
      { x: 0, y: 8, w: 24, h: 12 },
      [
        {
          refId: "A",
          expr: `max by (service, wave) (${startup})`,
          legendFormat: "w{{wave}} {{service}}",
          instant: true,
        },
      ],
      { fieldConfig: seconds, options: { orientation: "horizontal" } },
    ),
    panel("Restarts by agent and reason", "timeseries", { x: 0, y: 20, w: 12, h: 8 }, [
      {
        refId: "A",
        expr: `sum by (service, reason) (${METRIC_NAMES.restarts})`,
        legendFormat: "{{service}} ({{reason}})",
      },
    ]),
    panel("Dependency check failures (rate)", "timeseries", { x: 12, y: 20, w: 12, h: 8 }, [
      {
        refId: "A",
        expr: `sum by (service, dependency) (rate(${METRIC_NAMES.dependencyCheckFailures}[5m]))`,
        legendFormat: "{{service}} -> {{dependency}}",
      },
    ]),
    panel(
      "Health check duration p99",
      "timeseries",
      { x: 0, y: 28, w: 24, h: 8 },
      [
        {
          refId: "A",
          expr: `histogram_quantile(0.99, sum by (service, check_type, le) (rate(${METRIC_NAMES.healthCheckDuration}_bucket[5m])))`,
          legendFormat: "{{service}} {{check_type}}",
        },
      ],
      { fieldConfig: seconds },
    ),
  ];
  return {
    uid: STARTUP_DASHBOARD_UID,
    title: `cascade startup (${fleet.host})`,
    tags: ["cascade", fleet.host],
    timezone: "browser",
    schemaVersion: 39,
    version: 1,
    refresh: "10s",
    time: { from: "now-30m", to: "now" },
    panels,
  };
}
