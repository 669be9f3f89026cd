import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Agent } from "../fleet/model";
import type { AgentManifests } from "./manifests";

/** One agent of a group: its objects, compiled by `agentManifests`, and what it waits for. */
export interface AgentGroupMember {
  /** The agent, from the fleet. */
  agent: Agent;
  /** Its Deployment, Service, ConfigMap and PodDisruptionBudget as plain objects. */
  manifests: AgentManifests;
  /**
   * The Deployments it must wait for: exactly the planner's `dependsOn` edges. Promises, so a
   * group can be created before the group holding its dependencies.
   */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

export interface AgentGroupArgs {
  /** The group's agents, in fleet order. */
  members: AgentGroupMember[];
}

/**
 * One agent group of the fleet on Kubernetes: per agent a Deployment (awaited until Available,
 * after the Deployments it depends on), a Service, its model ConfigMap and, when critical, a
 * PodDisruptionBudget. Children are named `<group>-<agent dns name>` (the Deployment), with
 * `-service`, `-models` and `-pdb` for the others; the objects in the cluster carry the agent's
 * DNS name, so other agents reach it at `http://<dns name>:<port>`.
 */
export class AgentGroup extends pulumi.ComponentResource {
  /** Per agent name, its Deployment: what dependent agents' Deployments wait for. */
  public readonly deployments: Record<string, k8s.apps.v1.Deployment>;
  /** Per agent name, its Service (cluster DNS name = the agent's DNS name). */
  public readonly services: Record<string, k8s.core.v1.Service>;
  /** Per agent name, every object of the agent: Deployment, Service, ConfigMap, PDB. */
  public readonly objects: Record<string, pulumi.CustomResource[]>;
  /** Per agent name, the Deployment's name in the cluster. */
  public readonly deploymentNames: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: AgentGroupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cascade:kubernetes:AgentGroup", name, {}, opts);
    this.deployments = {};
    this.services = {};
    this.objects = {};

    for (const { agent, manifests, dependsOn } of args.members) {
      const child = `${name}-${manifests.name}`;
      const configMap = manifests.configMap
        ? new k8s.core.v1.ConfigMap(`${child}-models`, manifests.configMap, { parent: this })
        : undefined;
      const deployment = new k8s.apps.v1.Deployment(child, manifests.deployment, {
        parent: this,
        dependsOn: [...dependsOn, ...(configMap ? [configMap] : [])],
      });
      const service = new k8s.core.v1.Service(`${child}-service`, manifests.service, {
        parent: this,
      });
      const budget = manifests.podDisruptionBudget
        ? new k8s.policy.v1.PodDisruptionBudget(`${child}-pdb`, manifests.podDisruptionBudget, {
            parent: this,
          })
        : undefined;
      this.deployments[agent.name] = deployment;
      this.services[agent.name] = service;
      const objects: pulumi.CustomResource[] = [deployment, service];
      if (configMap) objects.push(configMap);
      if (budget) objects.push(budget);
      this.objects[agent.name] = objects;
    }

    this.deploymentNames = pulumi
      .all(
        Object.entries(this.deployments).map(([agent, deployment]) =>
          deployment.metadata.name.apply((deploymentName) => [agent, deploymentName] as const),
        ),
      )
      .apply((pairs) => Object.fromEntries(pairs));

    this.registerOutputs({ deploymentNames: this.deploymentNames });
  }
}
