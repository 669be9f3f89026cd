import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { ContainerSpec } from "./container-spec";

/**
 * The containers of a stack by agent name, so an agent can wait for one in any group: the
 * planner's edges cross groups. fleet.ts builds groups and agents in dependency order, so a
 * dependency's container normally exists already and `dependsOn` is a plain array. Only when
 * two groups depend on each other (possible in `dependencies` ordering) does a container wait
 * for a promise of one built later: Pulumi wraps a promised dependsOn in an Output and walks
 * the resolved resources' whole object graph, which costs O(stack size) per container.
 */
export class ContainerDirectory {
  private readonly built = new Map<string, docker.Container>();

  /** The container, if already constructed. */
  find(agent: string): docker.Container | undefined {
    return this.built.get(agent);
  }

  private readonly entries = new Map<
    string,
    { promise: Promise<docker.Container>; resolve: (c: docker.Container) => void }
  >();

  get(agent: string): Promise<docker.Container> {
    return this.entry(agent).promise;
  }

  set(agent: string, container: docker.Container): void {
    this.built.set(agent, container);
    this.entry(agent).resolve(container);
  }

  private entry(agent: string) {
    let entry = this.entries.get(agent);
    if (!entry) {
      let resolve!: (c: docker.Container) => void;
      const promise = new Promise<docker.Container>((r) => (resolve = r));
      entry = { promise, resolve };
      this.entries.set(agent, entry);
    }
    return entry;
  }
}

export interface AgentGroupArgs {
  /** The group's name in the fleet (e.g. core_platform), for the `group` output. */
  group: string;
  /**
   * One spec per agent of the group, from containerSpec(); their `dependsOn` are agent names.
   * In dependency order (a dependency before its dependents) for the fast path, see
   * ContainerDirectory.
   */
  containers: ContainerSpec[];
  /** The pulled image per image reference (RemoteImage.imageId), so a new image replaces containers. */
  images: Record<string, pulumi.Input<string>>;
  /** The stack's network; omitted in host network mode. */
  network?: pulumi.Input<string>;
  /** Where every container of the stack is registered, for the dependsOn edges. */
  directory: ContainerDirectory;
  /** Resources every container waits for besides its agents (the files volume's seeder). */
  prerequisites?: pulumi.Resource[];
}

/**
 * `cascade:docker:AgentGroup`: one container per agent of a fleet group, each created only
 * once healthy (`wait`), after exactly the containers the planner says it waits for.
 */
export class AgentGroup extends pulumi.ComponentResource {
  public readonly group: string;
  /** Per agent, its container. */
  public readonly containers: Record<string, docker.Container>;
  /** Per agent, its container name. */
  public readonly containerNames: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: AgentGroupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cascade:docker:AgentGroup", name, {}, opts);
    this.group = args.group;
    this.containers = {};
    this.containerNames = {};
    for (const spec of args.containers) {
      const image = args.images[spec.image];
      if (image === undefined) throw new Error(`no image resource for ${spec.image}`);
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
        containerArgs(spec, image, args.network),
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
