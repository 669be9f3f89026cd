import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { alertRules } from "../monitoring";
import { FORMERLY_AT_STACK_ROOT } from "../targets/aliases";
import {
  prometheusRule,
  serviceMonitor,
  type MonitoringContext,
  type OperatorObject,
} from "./monitoring";

export interface KubernetesMonitoringArgs {
  /** The stack, its namespace's name, the fleet and the labels the operator selects by. */
  context: MonitoringContext;
  /** The stack's Namespace: the objects go into it, once it exists. */
  namespace: k8s.core.v1.Namespace;
}

/**
 * `cascade:kubernetes:Monitoring`: the Prometheus operator objects of one stack, a
 * ServiceMonitor that scrapes every agent and a PrometheusRule with the Docker target's alert
 * rules (both built in ./monitoring.ts). They need the operator's CRDs in the cluster. Name it
 * `cascade-<stack>`: its children keep the names they had at the stack root, with an alias.
 */
export class KubernetesMonitoring extends pulumi.ComponentResource {
  public readonly serviceMonitor: k8s.apiextensions.CustomResource;
  public readonly prometheusRule: k8s.apiextensions.CustomResource;

  constructor(
    name: string,
    args: KubernetesMonitoringArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("cascade:kubernetes:Monitoring", name, {}, opts);
    const custom = (object: OperatorObject) =>
      new k8s.apiextensions.CustomResource(
        `${name}-${object.kind.toLowerCase()}`,
        {
          apiVersion: object.apiVersion,
          kind: object.kind,
          metadata: { ...object.metadata, namespace: args.namespace.metadata.name },
          spec: object.spec,
        },
        { parent: this, aliases: FORMERLY_AT_STACK_ROOT },
      );
    this.serviceMonitor = custom(serviceMonitor(args.context));
    this.prometheusRule = custom(prometheusRule(args.context, alertRules(args.context.fleet)));
    this.registerOutputs({
      serviceMonitor: this.serviceMonitor.metadata.name,
      prometheusRule: this.prometheusRule.metadata.name,
    });
  }
}
