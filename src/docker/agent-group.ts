import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { Directory } from "../targets/directory";
import type { ContainerSpec } from "./container-spec";

export interface AgentGroupArgs {
  /** The group's name in the fleet (e.g. core_platform), for the `group` output. */
  group: string;
  /**
   * One spec per agent of the group, from containerSpec(); their `dependsOn` are agent names.
   * In dependency order (a dependency before its dependents) for the fast path, see `directory`.
   */
  containers: ContainerSpec[];
  /** The stack's network; omitted in host network mode. */
  network?: pulumi.Input<string>;
  /**
   * Every container of the stack by agent name, so an agent can wait for one in any group: the
   * planner's edges cross groups. fleet.ts builds groups and agents in dependency order, so a
   * dependency's container normally exists already and `dependsOn` is a plain array. Only when
   * two groups depend on each other (possible in `dependencies` ordering) does a container wait
   * for a promise of one built later: Pulumi wraps a promised dependsOn in an Output and walks
   * the resolved resources' whole object graph, which costs O(stack size) per container.
   */
  directory: Directory<docker.Container>;
  /** Resources every container waits for besides its agents (the files volume's seeder). */
  prerequisites?: pulumi.Resource[];
}

/**
 * `cascade:docker:AgentGroup`: per agent of a fleet group, its image (a RemoteImage of its own,
 * `keepLocally`) and its container, created from the image's id, so that a new image replaces
 * the container, and created only once healthy (`wait`), after exactly the containers the planner
 * says it waits for. Each agent owns its image resource: a new tag replaces the agent's image and
 * container and nothing else, and a targeted update of the agent's resources (the rollback's
 * stages) takes the image with it.
 */
export class AgentGroup extends pulumi.ComponentResource {
  public readonly group: string;
  /** Per agent, its container. */
  public readonly containers: Record<string, docker.Container>;
  /** Per agent, its container name. */
  public readonly containerNames: Record<string, pulumi.Output<string>>;
  /** Per agent, its image. */
  public readonly images: Record<string, docker.RemoteImage>;

  constructor(name: string, args: AgentGroupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cascade:docker:AgentGroup", name, {}, opts);
    this.group = args.group;
    this.containers = {};
    this.containerNames = {};
    this.images = {};
    for (const spec of args.containers) {
      const image = new docker.RemoteImage(
        `${name}-${spec.agent}-image`,
        { name: spec.image, keepLocally: true },
        { parent: this },
      );
      const prerequisites = args.prerequisites ?? [];
      const built = spec.dependsOn.map((agent) => args.directory.find(agent));
      const dependsOn: pulumi.Input<pulumi.Resource[]> = built.every(
        (c): c is docker.Container => c !== undefined,
      )
        ? [...prerequisites, ...built]
        : Promise.all(spec.dependsOn.map((agent) => args.directory.get(agent))).then(
            (containers): pulumi.Resource[] => [...prerequisites, ...containers],
          );
      const container = new docker.Container(
        `${name}-${spec.agent}`,
        containerArgs(spec, image.imageId, args.network),
        {
          parent: this,
          dependsOn,
          // The provider ignores healthcheck edits on update (kreuzwerker/terraform-provider-docker#988):
          // a changed healthcheck would silently keep the old one, so it replaces the container.
          // uploads are ForceNew in the provider already; labels (model config hash) too.
          replaceOnChanges: ["healthcheck"],
          // Fixed names and host ports: the old container must go before the new one starts.
          deleteBeforeReplace: true,
        },
      );
      args.directory.set(spec.agent, container);
      this.containers[spec.agent] = container;
      this.containerNames[spec.agent] = container.name;
      this.images[spec.agent] = image;
    }
    this.registerOutputs({ containerNames: this.containerNames });
  }
}

function containerArgs(
  spec: ContainerSpec,
  image: pulumi.Input<string>,
  network: pulumi.Input<string> | undefined,
): docker.ContainerArgs {
  const args: docker.ContainerArgs = {
    name: spec.name,
    image,
    envs: spec.envs,
    labels: spec.labels,
    healthcheck: spec.healthcheck,
    wait: spec.wait,
    waitTimeout: spec.waitTimeout,
    restart: spec.restart,
    maxRetryCount: spec.maxRetryCount,
    deviceRequests: spec.deviceRequests,
    cpus: spec.cpus,
    memory: spec.memory,
    memorySwap: spec.memorySwap,
    memoryReservation: spec.memoryReservation,
    securityOpts: spec.securityOpts,
    readOnly: spec.readOnly,
    tmpfs: spec.tmpfs,
    user: spec.user,
    volumes: spec.volumes,
    destroyGraceSeconds: spec.destroyGraceSeconds,
  };
  if (spec.networkMode === "host") {
    args.networkMode = "host";
  } else if (network !== undefined) {
    args.networksAdvanced = [{ name: network, aliases: spec.networkAliases }];
    args.ports = spec.ports;
  }
  return args;
}
