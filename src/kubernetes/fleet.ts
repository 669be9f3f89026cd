import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { healthEndpoint } from "../fleet/health-endpoint";
import { FORMERLY_AT_STACK_ROOT } from "../targets/aliases";
import { Directory } from "../targets/directory";
import type { AgentOutput, FleetArgs } from "../targets/fleet-deployment";
import { dnsCollisions, dnsName, dnsNameProblem, namespaceName } from "../targets/names";
import { AgentGroup } from "./agent-group";
import {
  LABELS,
  agentManifests,
  kubernetesAgentProblems,
  podSecurity,
  type ManifestContext,
} from "./manifests";
import { KubernetesMonitoring } from "./monitoring-component";

/** What keeps the stack's fleet off Kubernetes (settings and agents), one line each; empty when fine. */
export function kubernetesProblems({ stack, settings, fleet }: FleetArgs): string[] {
  const names = new Set(fleet.agents.map((agent) => agent.name));
  const problems = Object.keys(settings.replicas)
    .filter((name) => !names.has(name))
    .map((name) => `cascade:replicas names "${name}", which is not an agent of this fleet`);
  if (settings.namespace === undefined && dnsNameProblem(stack)) {
    problems.push(`stack ${stack} gives no namespace name: set cascade:namespace`);
  }
  problems.push(...fleet.agents.flatMap(kubernetesAgentProblems));
  const named = [...names].filter((name) => dnsNameProblem(name) === undefined);
  for (const collision of dnsCollisions(named)) {
    problems.push(`agents share one Kubernetes name: ${collision}`);
  }
  return problems;
}

/**
 * `cascade:kubernetes:Fleet`: one host's fleet on a cluster. It owns the provider for the
 * stack's kube context, the namespace, one AgentGroup per fleet group and, with
 * `cascade:monitoring`, the Prometheus operator objects. Name it after the stack. Its children
 * keep the names they had at the stack root (`cascade-<stack>`, the namespace's name, the groups
 * by their fleet name) and an alias each (FORMERLY_AT_STACK_ROOT), so stacks deployed before it
 * existed see no replacement.
 */
export class KubernetesFleet extends pulumi.ComponentResource {
  public readonly provider: k8s.Provider;
  public readonly namespace: k8s.core.v1.Namespace;
  /** Per fleet group, its agents' objects. */
  public readonly groups: Record<string, AgentGroup>;
  /** With `cascade:monitoring` (the default); it needs the Prometheus operator's CRDs. */
  public readonly monitoring?: KubernetesMonitoring;
  /** Per agent: Deployment name, wave, health URL and URNs (the stack output `agents`). */
  public readonly agents: Record<string, AgentOutput>;

  constructor(name: string, args: FleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cascade:kubernetes:Fleet", name, {}, opts);
    const { stack, settings, fleet } = args;
    const problems = kubernetesProblems(args);
    if (problems.length > 0) throw new pulumi.RunError(problems.join("\n"));

    const moved = { parent: this, aliases: FORMERLY_AT_STACK_ROOT };
    this.provider = new k8s.Provider(
      `cascade-${stack}`,
      settings.kubeContext === undefined ? {} : { context: settings.kubeContext },
      moved,
    );
    const children = { ...moved, provider: this.provider };
    const nsName = namespaceName(stack, settings);
    // Every pod meets the "restricted" Pod Security Standard unless an agent must run as root.
    const restricted = fleet.agents.every((agent) => podSecurity(agent).runAsNonRoot === true);
    this.namespace = new k8s.core.v1.Namespace(
      nsName,
      {
        metadata: {
          name: nsName,
          labels: {
            [LABELS.partOf]: "cascade",
            [LABELS.instance]: stack,
            [LABELS.managedBy]: "pulumi",
            "pod-security.kubernetes.io/enforce": restricted ? "restricted" : "baseline",
          },
        },
      },
      children,
    );
    const ctx = { stack, namespace: this.namespace.metadata.name, settings, fleet };
    this.groups = agentGroups(args, ctx, children);
    if (settings.monitoring) {
      this.monitoring = new KubernetesMonitoring(
        `cascade-${stack}`,
        {
          context: {
            stack,
            namespace: nsName,
            fleet,
            selectorLabels: settings.prometheusSelectorLabels,
          },
          namespace: this.namespace,
        },
        { parent: this, provider: this.provider },
      );
    }
    this.agents = agentOutputs(args, this.groups, this.namespace);
    this.registerOutputs({ agents: this.agents });
  }
}

/**
 * One AgentGroup per fleet group, in fleet order. Each Deployment waits for a promise of those
 * it depends on, kept when their group creates them: groups can be created in fleet order
 * whichever way their agents' edges run.
 */
function agentGroups(
  { fleet, plan }: FleetArgs,
  ctx: ManifestContext,
  opts: pulumi.ComponentResourceOptions,
): Record<string, AgentGroup> {
  const planned = new Map(plan.agents.map((agent) => [agent.name, agent]));
  const deployments = new Directory<k8s.apps.v1.Deployment>();
  const groups: Record<string, AgentGroup> = {};
  for (const group of fleet.groups) {
    const members = fleet.agents
      .filter((agent) => agent.group === group.name)
      .map((agent) => {
        const plannedAgent = planned.get(agent.name)!;
        return {
          agent,
          manifests: agentManifests(agent, plannedAgent, ctx),
          dependsOn: plannedAgent.dependsOn.map((name) => deployments.get(name)),
        };
      });
    // Named by the fleet group alone, as at the stack root before KubernetesFleet: same URNs.
    const component = new AgentGroup(group.name, { members }, opts);
    for (const [agent, deployment] of Object.entries(component.deployments)) {
      deployments.set(agent, deployment);
    }
    groups[group.name] = component;
  }
  return groups;
}

function agentOutputs(
  { fleet }: FleetArgs,
  groups: Record<string, AgentGroup>,
  namespace: k8s.core.v1.Namespace,
): Record<string, AgentOutput> {
  const agents: Record<string, AgentOutput> = {};
  for (const agent of fleet.agents) {
    const group = groups[agent.group];
    const host = dnsName(agent.name);
    agents[agent.name] = {
      name: group.deployments[agent.name].metadata.name,
      wave: agent.wave,
      healthUrl: pulumi.interpolate`http://${host}.${namespace.metadata.name}.svc.cluster.local:${agent.healthPort}${healthEndpoint(agent)}`,
      urns: group.objects[agent.name].map((object) => object.urn),
    };
  }
  return agents;
}
