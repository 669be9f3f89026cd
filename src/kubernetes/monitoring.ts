import type { Fleet } from "../fleet/model";
import { SCRAPE_INTERVAL_SECONDS } from "../health/metric-names";
import { AGENT_JOB, type PrometheusRuleGroup } from "../monitoring";
import { LABELS } from "./manifests";

/**
 * Prometheus operator objects for one stack. Pure: no Pulumi, no I/O.
 *
 * Scraping uses a ServiceMonitor rather than `prometheus.io/*` annotations: the PrometheusRule
 * already needs the operator, the operator ignores those annotations, and the ServiceMonitor's
 * relabelings give every target the job and labels the rules select on (`job="cascade-agents"`,
 * `service`, `group`, `wave`, `critical`, `host`: the Docker target's static labels), so
 * `up{group="core_platform"}` and every rule of src/monitoring mean the same as on a Docker host,
 * without relying on the cluster's own relabelling of annotated pods.
 */

/** What the operator objects of one stack need. */
export interface MonitoringContext {
  stack: string;
  namespace: string;
  fleet: Fleet;
  /** Labels the operator selects ServiceMonitors and PrometheusRules by. */
  selectorLabels: Record<string, string>;
}

export const MONITORING_API_VERSION = "monitoring.coreos.com/v1";
/** Where agents serve their Prometheus metrics: on their health port (the Service's "health"). */
export const METRICS_PATH = "/metrics";
export const METRICS_PORT_NAME = "health";
export const SCRAPE_INTERVAL = `${SCRAPE_INTERVAL_SECONDS}s`;

export interface OperatorObject {
  apiVersion: typeof MONITORING_API_VERSION;
  kind: "ServiceMonitor" | "PrometheusRule";
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: Record<string, unknown>;
}

function metadata(ctx: MonitoringContext) {
  return {
    name: "cascade",
    namespace: ctx.namespace,
    labels: {
      [LABELS.partOf]: "cascade",
      [LABELS.instance]: ctx.stack,
      [LABELS.managedBy]: "pulumi",
      ...ctx.selectorLabels,
    },
  };
}

/** Kubernetes' meta label for a Service label: "cascade.dev/group" -> ..._cascade_dev_group. */
export function serviceLabelMeta(label: string): string {
  return `__meta_kubernetes_service_label_${label.replace(/[^A-Za-z0-9_]/g, "_")}`;
}

export function serviceMonitor(ctx: MonitoringContext): OperatorObject {
  const fromServiceLabel = (label: string, targetLabel: string) => ({
    sourceLabels: [serviceLabelMeta(label)],
    targetLabel,
  });
  return {
    apiVersion: MONITORING_API_VERSION,
    kind: "ServiceMonitor",
    metadata: metadata(ctx),
    spec: {
      selector: {
        matchLabels: { [LABELS.partOf]: "cascade", [LABELS.instance]: ctx.stack },
      },
      namespaceSelector: { matchNames: [ctx.namespace] },
      endpoints: [
        {
          port: METRICS_PORT_NAME,
          path: METRICS_PATH,
          interval: SCRAPE_INTERVAL,
          relabelings: [
            { targetLabel: "job", replacement: AGENT_JOB },
            fromServiceLabel(LABELS.agent, "service"),
            fromServiceLabel(LABELS.group, "group"),
            fromServiceLabel(LABELS.wave, "wave"),
            fromServiceLabel(LABELS.critical, "critical"),
            { targetLabel: "host", replacement: ctx.fleet.host },
          ],
        },
      ],
    },
  };
}

/** The PrometheusRule carrying `groups`: pass src/monitoring's `alertRules(fleet)`. */
export function prometheusRule(
  ctx: MonitoringContext,
  groups: PrometheusRuleGroup[],
): OperatorObject {
  return {
    apiVersion: MONITORING_API_VERSION,
    kind: "PrometheusRule",
    metadata: metadata(ctx),
    spec: { groups },
  };
}
