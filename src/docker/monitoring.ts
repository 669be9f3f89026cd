import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { Fleet } from "../fleet/model";
import {
  GRAFANA_DASHBOARD_DIR,
  grafanaDashboardProvider,
  grafanaDatasource,
  renderPrometheusConfig,
  renderRulesFile,
  startupDashboard,
  type AgentAddress,
} from "../monitoring";

export const PROMETHEUS_CONFIG_PATH = "/etc/prometheus/prometheus.yml";
export const PROMETHEUS_RULES_PATH = "/etc/prometheus/cascade-rules.yml";

export interface DockerMonitoringArgs {
  fleet: Fleet;
  /** Container name prefix, e.g. cascade-mainpc. */
  namePrefix: string;
  /** How Prometheus reaches each agent (container name or 127.0.0.1, and its health port). */
  agentAddress: AgentAddress;
  prometheusImage: string;
  grafanaImage: string;
  /** Host ports. */
  prometheusPort: number;
  grafanaPort: number;
  /** The stack's network; omitted in host network mode. */
  network?: pulumi.Input<string>;
}

/**
 * `cascade:docker:Monitoring` (seed §6): Prometheus with the generated scrape config and alert
 * rules, Grafana with the Prometheus datasource and the startup dashboard provisioned. Both
 * take their files as `uploads` (ForceNew in the provider: a new rule or target replaces the
 * container). Neither is health-gated: monitoring must never hold a fleet deployment back.
 */
export class DockerMonitoring extends pulumi.ComponentResource {
  public readonly prometheus: docker.Container;
  public readonly grafana: docker.Container;
  public readonly prometheusConfig: string;
  public readonly rules: string;
  public readonly prometheusUrl: string;

  constructor(name: string, args: DockerMonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cascade:docker:Monitoring", name, {}, opts);
    const host = args.network === undefined;
    const promName = `${args.namePrefix}-prometheus`;
    this.prometheusConfig = renderPrometheusConfig(args.fleet, {
      address: args.agentAddress,
      rulesFile: PROMETHEUS_RULES_PATH,
    });
    this.rules = renderRulesFile(args.fleet);
    const internalPrometheus = host
      ? `http://127.0.0.1:${args.prometheusPort}`
      : `http://${promName}:9090`;
    this.prometheusUrl = internalPrometheus;

    const promImage = new docker.RemoteImage(
      `${name}-prometheus-image`,
      { name: args.prometheusImage, keepLocally: true },
      { parent: this },
    );
    const grafanaImage = new docker.RemoteImage(
      `${name}-grafana-image`,
      { name: args.grafanaImage, keepLocally: true },
      { parent: this },
    );
    const networking = (port: number, internal: number): Partial<docker.ContainerArgs> =>
      host
        ? { networkMode: "host" }
        : { networksAdvanced: [{ name: args.network! }], ports: [{ internal, external: port }] };

    this.prometheus = new docker.Container(
      `${name}-prometheus`,
      {
        name: promName,
        image: promImage.imageId,
        command: [
          `--config.file=${PROMETHEUS_CONFIG_PATH}`,
          "--storage.tsdb.path=/prometheus",
          `--web.listen-address=:${host ? args.prometheusPort : 9090}`,
        ],
        restart: "unless-stopped",
        securityOpts: ["no-new-privileges:true"],
        labels: [{ label: "cascade.role", value: "prometheus" }],
        uploads: [
          { file: PROMETHEUS_CONFIG_PATH, content: this.prometheusConfig, permissions: "0644" },
          { file: PROMETHEUS_RULES_PATH, content: this.rules, permissions: "0644" },
        ],
        ...networking(args.prometheusPort, 9090),
      },
      { parent: this, deleteBeforeReplace: true },
    );
    this.grafana = new docker.Container(
      `${name}-grafana`,
      {
        name: `${args.namePrefix}-grafana`,
        image: grafanaImage.imageId,
        envs: [
          `GF_SERVER_HTTP_PORT=${host ? args.grafanaPort : 3000}`,
          "GF_AUTH_ANONYMOUS_ENABLED=true",
        ],
        restart: "unless-stopped",
        securityOpts: ["no-new-privileges:true"],
        labels: [{ label: "cascade.role", value: "grafana" }],
        uploads: [
          {
            file: "/etc/grafana/provisioning/datasources/cascade.yml",
            content: grafanaDatasource(internalPrometheus),
            permissions: "0644",
          },
          {
            file: "/etc/grafana/provisioning/dashboards/cascade.yml",
            content: grafanaDashboardProvider(),
            permissions: "0644",
          },
          {
            file: `${GRAFANA_DASHBOARD_DIR}/startup.json`,
            content: `${JSON.stringify(startupDashboard(args.fleet), null, 2)}\n`,
            permissions: "0644",
          },
        ],
        ...networking(args.grafanaPort, 3000),
      },
      { parent: this, deleteBeforeReplace: true, dependsOn: [this.prometheus] },
    );
    this.registerOutputs({ prometheus: this.prometheus.name, grafana: this.grafana.name });
  }
}
