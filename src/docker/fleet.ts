import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { healthEndpoint } from "../fleet/health-endpoint";
import type { PlannedAgent } from "../fleet/planner";
import { topologicalOrder } from "../fleet/graph";
import { FORMERLY_AT_STACK_ROOT } from "../targets/aliases";
import { Directory } from "../targets/directory";
import type { AgentOutput, FleetArgs } from "../targets/fleet-deployment";
import { AgentFiles } from "./agent-files";
import { AgentGroup, type AgentGroupArgs } from "./agent-group";
import { containerSpecs, type ContainerSpec } from "./container-spec";
import { DockerMonitoring } from "./monitoring";
import { containerName, filesVolumeName, networkName } from "../targets/names";

/**
 * `cascade:docker:Fleet`: one host's fleet on Docker. It owns the provider for the stack's host,
 * its network, the files volume, one AgentGroup per fleet group (each agent's image and
 * container) and the monitoring pair. Name it after the stack: its children keep the names they had
 * at the stack root (`<stack>-network`, the groups by their fleet name), and an alias each
 * (FORMERLY_AT_STACK_ROOT), so stacks deployed before it existed see no replacement.
 */
export class DockerFleet extends pulumi.ComponentResource {
  public readonly provider: docker.Provider;
  /** The stack's network; none in host network mode. */
  public readonly network?: docker.Network;
  /** Per fleet group, its containers. */
  public readonly groups: Record<string, AgentGroup>;
  /** Prometheus and Grafana, with `cascade:monitoring` (the default). */
  public readonly monitoring?: DockerMonitoring;
  /** Per agent: container name, wave, health URL and URNs (the stack output `agents`). */
  public readonly agents: Record<string, AgentOutput>;

  constructor(name: string, args: FleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cascade:docker:Fleet", name, {}, opts);
    const { stack, settings } = args;
    const moved = { parent: this, aliases: FORMERLY_AT_STACK_ROOT };
    this.provider = new docker.Provider(
      `${name}-docker`,
      {
        host: settings.dockerHost,
        registryAuth: registryAuth(settings.imageRegistry, settings.registryUsername),
      },
      moved,
    );
    const children = { ...moved, provider: this.provider };
    this.network =
      settings.networkMode === "host"
        ? undefined
        : new docker.Network(
            `${name}-network`,
            { name: networkName(stack, settings), driver: "bridge" },
            children,
          );
    const specs = containerSpecs(args.fleet, args.plan, { stack, settings });
    const files = new AgentFiles(
      `${name}-files`,
      {
        volumeName: filesVolumeName(stack),
        seederImage: specs[0].image,
        probeBinary:
          settings.healthProbe === "cascade-probe" ? probeBinary(settings.probeBinary) : undefined,
        files: specs.flatMap((spec) => (spec.modelConfig ? [spec.modelConfig] : [])),
      },
      children,
    );
    this.groups = agentGroups(args, specs, {
      network: this.network?.name,
      prerequisites: [files.seeder],
      opts: children,
    });
    if (settings.monitoring) {
      this.monitoring = dockerMonitoring(`${name}-monitoring`, args, this.network, children);
    }
    this.agents = agentOutputs(args, this.groups);
    this.registerOutputs({ agents: this.agents });
  }
}

/** Prometheus scraping every agent (by container name, or on 127.0.0.1 without a network). */
function dockerMonitoring(
  name: string,
  { stack, settings, fleet }: FleetArgs,
  network: docker.Network | undefined,
  opts: pulumi.ComponentResourceOptions,
): DockerMonitoring {
  return new DockerMonitoring(
    name,
    {
      fleet,
      namePrefix: `cascade-${stack}`,
      agentAddress: (agent) =>
        `${network ? containerName(stack, agent) : "127.0.0.1"}:${agent.healthPort}`,
      prometheusImage: settings.prometheusImage,
      grafanaImage: settings.grafanaImage,
      prometheusPort: settings.prometheusPort,
      grafanaPort: settings.grafanaPort,
      network: network?.name,
    },
    opts,
  );
}

/** One AgentGroup per fleet group, groups and agents in build order (see buildOrder). */
function agentGroups(
  { fleet, plan }: FleetArgs,
  specs: ContainerSpec[],
  shared: Pick<AgentGroupArgs, "network" | "prerequisites"> & {
    opts: pulumi.ComponentResourceOptions;
  },
): Record<string, AgentGroup> {
  const directory = new Directory<docker.Container>();
  const groupOf = new Map(fleet.agents.map((agent) => [agent.name, agent.group]));
  const order = buildOrder(plan.agents);
  const rank = new Map(order.agents.map((name, index) => [name, index]));
  const byRank = (a: ContainerSpec, b: ContainerSpec): number =>
    rank.get(a.agent)! - rank.get(b.agent)!;
  const groups: Record<string, AgentGroup> = {};
  for (const group of order.groups) {
    // Named by the fleet group alone, as at the stack root before DockerFleet: same URNs.
    groups[group] = new AgentGroup(
      group,
      {
        group,
        containers: specs.filter((spec) => groupOf.get(spec.agent) === group).sort(byRank),
        network: shared.network,
        directory,
        prerequisites: shared.prerequisites,
      },
      shared.opts,
    );
  }
  return groups;
}

function agentOutputs(
  { settings, fleet }: FleetArgs,
  groups: Record<string, AgentGroup>,
): Record<string, AgentOutput> {
  const byName = new Map(fleet.agents.map((agent) => [agent.name, agent]));
  const agents: Record<string, AgentOutput> = {};
  for (const group of Object.values(groups)) {
    for (const [name, container] of Object.entries(group.containers)) {
      const agent = byName.get(name)!;
      agents[name] = {
        name: container.name,
        wave: agent.wave,
        healthUrl: pulumi.output(
          `http://${settings.publicHost}:${agent.healthPort}${healthEndpoint(agent)}`,
        ),
        urns: [container.urn, group.images[name].urn],
      };
    }
  }
  return agents;
}

/**
 * The order to build in: agents so that each comes after the agents it waits for, and groups
 * so that, where the group graph allows, a group comes after the groups its agents wait for.
 */
export function buildOrder(agents: PlannedAgent[]): { agents: string[]; groups: string[] } {
  const { order: sorted, blocked } = topologicalOrder(
    agents.map((agent) => agent.name),
    new Map(agents.map((agent) => [agent.name, agent.dependsOn])),
  );
  if (blocked.length > 0) throw new pulumi.RunError("the plan's edges have a cycle");

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
