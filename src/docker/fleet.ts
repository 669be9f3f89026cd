import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { PlannedAgent } from "../fleet/planner";
import type { AgentOutput, FleetDeploymentArgs } from "../targets/fleet-deployment";
import { AgentFiles } from "./agent-files";
import { AgentGroup, ContainerDirectory } from "./agent-group";
import { containerSpec, type ContainerSpec } from "./container-spec";
import { healthPath } from "./healthcheck";
import { DockerMonitoring } from "./monitoring";
import { containerName, defaultNetworkName, filesVolumeName, imageResourceName } from "./names";

/**
 * The Docker target: one provider for the stack's host, its network, one RemoteImage per
 * distinct image, the files volume, one AgentGroup per fleet group and the monitoring pair.
 */
export function deployDockerFleet(args: FleetDeploymentArgs): {
  agents: Record<string, AgentOutput>;
} {
  const { stack, settings, fleet, plan } = args;
  const provider = new docker.Provider(`${stack}-docker`, {
    host: settings.dockerHost,
    registryAuth: registryAuth(settings.imageRegistry, settings.registryUsername),
  });
  const opts = { provider };
  const hostNetwork = settings.networkMode === "host";
  const network = hostNetwork
    ? undefined
    : new docker.Network(
        `${stack}-network`,
        { name: settings.network ?? defaultNetworkName(stack), driver: "bridge" },
        opts,
      );

  const planned = new Map(plan.agents.map((agent) => [agent.name, agent]));
  const specs: ContainerSpec[] = fleet.agents.map((agent) => {
    const entry = planned.get(agent.name);
    if (!entry) throw new pulumi.RunError(`the plan has no entry for ${agent.name}`);
    return containerSpec(agent, entry, {
      stack,
      host: fleet.host,
      settings,
      filesVolume: filesVolumeName(stack),
    });
  });

  const images: Record<string, pulumi.Output<string>> = {};
  for (const reference of new Set(specs.map((spec) => spec.image))) {
    images[reference] = new docker.RemoteImage(
      `${stack}-image-${imageResourceName(reference)}`,
      { name: reference, keepLocally: true },
      opts,
    ).imageId;
  }

  const files = new AgentFiles(
    `${stack}-files`,
    {
      volumeName: filesVolumeName(stack),
      seederImage: images[specs[0].image],
      probeBinary:
        settings.healthProbe === "cascade-probe" ? probeBinary(settings.probeBinary) : undefined,
      files: specs.flatMap((spec) => (spec.modelConfig ? [spec.modelConfig] : [])),
    },
    opts,
  );

  const directory = new ContainerDirectory();
  const byAgent = new Map(fleet.agents.map((agent) => [agent.name, agent]));
  const order = buildOrder(plan.agents);
  const rank = new Map(order.agents.map((name, index) => [name, index]));
  const byRank = (a: ContainerSpec, b: ContainerSpec): number =>
    rank.get(a.agent)! - rank.get(b.agent)!;
  const fleetGroups = new Map(fleet.groups.map((group) => [group.name, group]));
  const groups = order.groups.map(
    (name) =>
      new AgentGroup(
        name,
        {
          group: fleetGroups.get(name)?.name ?? name,
          containers: specs.filter((spec) => byAgent.get(spec.agent)!.group === name).sort(byRank),
          images,
          network: network?.name,
          directory,
          prerequisites: [files.seeder],
        },
        opts,
      ),
  );

  if (settings.monitoring) {
    new DockerMonitoring(
      `${stack}-monitoring`,
      {
        fleet,
        namePrefix: `cascade-${stack}`,
        agentAddress: (agent) =>
          `${hostNetwork ? "127.0.0.1" : containerName(stack, agent)}:${agent.healthPort}`,
        prometheusImage: settings.prometheusImage,
        grafanaImage: settings.grafanaImage,
        prometheusPort: settings.prometheusPort,
        grafanaPort: settings.grafanaPort,
        network: network?.name,
      },
      opts,
    );
  }

  const agents: Record<string, AgentOutput> = {};
  for (const group of groups) {
    for (const [name, container] of Object.entries(group.containers)) {
      const agent = byAgent.get(name)!;
      agents[name] = {
        name: container.name,
        wave: agent.wave,
        healthUrl: pulumi.output(
          `http://${settings.publicHost}:${agent.healthPort}${healthPath(agent.health)}`,
        ),
      };
    }
  }
  return { agents };
}

/**
 * The order to build in: agents so that each comes after the agents it waits for, and groups
 * so that, where the group graph allows, a group comes after the groups its agents wait for.
 */
export function buildOrder(agents: PlannedAgent[]): { agents: string[]; groups: string[] } {
  const waiting = new Map(agents.map((agent) => [agent.name, agent.dependsOn.length]));
  const dependents = new Map<string, string[]>();
  for (const agent of agents) {
    for (const dependency of agent.dependsOn) {
      const list = dependents.get(dependency) ?? [];
      list.push(agent.name);
      dependents.set(dependency, list);
    }
  }
  const ready = agents.filter((agent) => agent.dependsOn.length === 0).map((agent) => agent.name);
  const sorted: string[] = [];
  for (let i = 0; i < ready.length; i++) {
    sorted.push(ready[i]);
    for (const next of dependents.get(ready[i]) ?? []) {
      const left = waiting.get(next)! - 1;
      waiting.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  if (sorted.length !== agents.length) throw new pulumi.RunError("the plan's edges have a cycle");

  const groupOf = new Map(agents.map((agent) => [agent.name, agent.group]));
  const groupNames = [...new Set(sorted.map((name) => groupOf.get(name)!))];
  const groupDeps = new Map(groupNames.map((group) => [group, new Set<string>()]));
  for (const agent of agents) {
    for (const dependency of agent.dependsOn) {
      const from = groupOf.get(dependency)!;
      if (from !== agent.group) groupDeps.get(agent.group)!.add(from);
    }
  }
  const groups: string[] = [];
  const placed = new Set<string>();
  while (groups.length < groupNames.length) {
    // The first group (in agent order) whose groups are all placed; on a cycle, the first left.
    const next =
      groupNames.find(
        (g) => !placed.has(g) && [...groupDeps.get(g)!].every((d) => placed.has(d)),
      ) ?? groupNames.find((g) => !placed.has(g))!;
    groups.push(next);
    placed.add(next);
  }
  return { agents: sorted, groups };
}

/** Registry credentials, from the secret cascade:registryPassword only. */
function registryAuth(
  registry: string,
  username: string | undefined,
): docker.types.input.ProviderRegistryAuth[] | undefined {
  if (username === undefined) return undefined;
  const address = registry.split("/")[0];
  if (!address)
    throw new pulumi.RunError("cascade:registryUsername is set but cascade:imageRegistry is empty");
  return [
    { address, username, password: new pulumi.Config("cascade").requireSecret("registryPassword") },
  ];
}

function probeBinary(source: string): { source: string; sha256: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(source);
  } catch {
    throw new pulumi.RunError(
      `the health probe binary ${source} is missing: build it with probe/build.sh, or set cascade:healthProbe curl`,
    );
  }
  return { source, sha256: createHash("sha256").update(bytes).digest("hex") };
}
