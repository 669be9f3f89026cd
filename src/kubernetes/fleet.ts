import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { alertRules } from "../monitoring";
import type { AgentOutput, FleetDeploymentArgs } from "../targets/fleet-deployment";
import { AgentGroup } from "./agent-group";
import {
  LABELS,
  agentManifests,
  namespaceName,
  podSecurity,
  type ManifestContext,
} from "./manifests";
import { prometheusRule, serviceMonitor, type MonitoringContext } from "./monitoring";
import { dnsCollisions, dnsName } from "./names";

/** Everything the Kubernetes target creates for one stack, for tests and the entry point. */
export interface KubernetesFleet {
  provider: k8s.Provider;
  namespace: k8s.core.v1.Namespace;
  /** Per group name. */
  groups: Record<string, AgentGroup>;
  /** With `cascade:monitoring` (the default); they need the Prometheus operator's CRDs. */
  serviceMonitor?: k8s.apiextensions.CustomResource;
  prometheusRule?: k8s.apiextensions.CustomResource;
  agents: Record<string, AgentOutput>;
}

/** The Kubernetes target's entry: `src/index.ts` calls it when `cascade:target` is kubernetes. */
export function deployKubernetesFleet(args: FleetDeploymentArgs): {
  agents: Record<string, AgentOutput>;
} {
  return { agents: kubernetesFleet(args).agents };
}

/** Problems with the stack settings that only the Kubernetes target has; empty when fine. */
export function kubernetesSettingsProblems(args: FleetDeploymentArgs): string[] {
  const names = new Set(args.fleet.agents.map((agent) => agent.name));
  const problems = Object.keys(args.settings.replicas)
    .filter((name) => !names.has(name))
    .map((name) => `cascade:replicas names "${name}", which is not an agent of this fleet`);
  for (const collision of dnsCollisions([...names])) {
    problems.push(`agents share one Kubernetes name: ${collision}`);
  }
  return problems;
}

export function kubernetesFleet(args: FleetDeploymentArgs): KubernetesFleet {
  const { stack, settings, fleet, plan } = args;
  const problems = kubernetesSettingsProblems(args);
  if (problems.length > 0) throw new pulumi.RunError(problems.join("\n"));

  const nsName = namespaceName(stack, settings);
  const provider = new k8s.Provider(`cascade-${stack}`, {
    ...(settings.kubeContext === undefined ? {} : { context: settings.kubeContext }),
  });
  // Every pod meets the "restricted" Pod Security Standard unless an agent must run as root.
  const restricted = fleet.agents.every((agent) => podSecurity(agent).runAsNonRoot === true);
  const namespace = new k8s.core.v1.Namespace(
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
    { provider },
  );

  const ctx: ManifestContext = { stack, namespace: nsName, settings, fleet };
  const planned = new Map(plan.agents.map((agent) => [agent.name, agent]));
  // A promise per agent's Deployment, resolved when its group creates it: groups can be
  // created in fleet order whichever way their agents' edges run.
  const deployments = new Map(
    fleet.agents.map((agent) => {
      let resolve!: (deployment: k8s.apps.v1.Deployment) => void;
      const promise = new Promise<k8s.apps.v1.Deployment>((r) => (resolve = r));
      return [agent.name, { promise, resolve }] as const;
    }),
  );

  const groups: Record<string, AgentGroup> = {};
  for (const group of fleet.groups) {
    const members = fleet.agents
      .filter((agent) => agent.group === group.name)
      .map((agent) => {
        const plannedAgent = planned.get(agent.name)!;
        return {
          agent,
          manifests: agentManifests(agent, plannedAgent, ctx),
          dependsOn: plannedAgent.dependsOn.map((name) => deployments.get(name)!.promise),
        };
      });
    const component = new AgentGroup(
      group.name,
      { namespace: namespace.metadata.name, members },
      { providers: [provider] },
    );
    for (const [agent, deployment] of Object.entries(component.deployments)) {
      deployments.get(agent)!.resolve(deployment);
    }
    groups[group.name] = component;
  }

  let monitoring: Pick<KubernetesFleet, "serviceMonitor" | "prometheusRule"> = {};
  if (settings.monitoring) {
    const monitoringCtx: MonitoringContext = {
      stack,
      namespace: nsName,
      fleet,
      selectorLabels: settings.prometheusSelectorLabels,
    };
    const custom = (object: ReturnType<typeof serviceMonitor>) =>
      new k8s.apiextensions.CustomResource(
        `cascade-${stack}-${object.kind.toLowerCase()}`,
        {
          apiVersion: object.apiVersion,
          kind: object.kind,
          metadata: { ...object.metadata, namespace: namespace.metadata.name },
          spec: object.spec,
        },
        { provider },
      );
    monitoring = {
      serviceMonitor: custom(serviceMonitor(monitoringCtx)),
      prometheusRule: custom(prometheusRule(monitoringCtx, alertRules(fleet))),
    };
  }

  const agents: Record<string, AgentOutput> = {};
  for (const agent of fleet.agents) {
    const deployment = groups[agent.group].deployments[agent.name];
    const host = dnsName(agent.name);
    agents[agent.name] = {
      name: deployment.metadata.name,
      wave: agent.wave,
      healthUrl: pulumi.interpolate`http://${host}.${namespace.metadata.name}.svc.cluster.local:${agent.healthPort}/health`,
    };
  }

  return { provider, namespace, groups, ...monitoring, agents };
}
