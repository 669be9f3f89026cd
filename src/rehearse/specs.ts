import { LABELS } from "../docker/container-spec";
import type { ProgramRun, RegisteredResource } from "./capture";

/**
 * What the Pulumi program registered for a stack, read back as plain rehearsal inputs: one
 * entry per agent container (its provider inputs untouched) with its dependsOn edges turned
 * into agent names, and the files seeder (volume + uploads). Nothing here knows how the
 * Docker target maps an agent: it only reads `docker.Container` inputs.
 */

export const CONTAINER_TYPE = "docker:index/container:Container";

/** The subset of `docker.ContainerArgs` the Docker target sets, as the provider receives them. */
export interface ContainerInputs {
  name: string;
  image?: string;
  command?: string[];
  envs?: string[];
  labels?: { label: string; value: string }[];
  healthcheck?: {
    tests: string[];
    interval?: string;
    timeout?: string;
    retries?: number;
    startPeriod?: string;
  };
  wait?: boolean;
  waitTimeout?: number;
  restart?: string;
  maxRetryCount?: number;
  deviceRequests?: unknown[];
  cpus?: string;
  memory?: number;
  memorySwap?: number;
  memoryReservation?: number;
  securityOpts?: string[];
  readOnly?: boolean;
  tmpfs?: Record<string, string>;
  user?: string;
  volumes?: { volumeName: string; containerPath: string; readOnly?: boolean }[];
  networkMode?: string;
  networksAdvanced?: unknown[];
  ports?: unknown[];
  destroyGraceSeconds?: number;
  start?: boolean;
  uploads?: Upload[];
}

export interface Upload {
  file: string;
  content?: string;
  source?: string;
  permissions?: string;
}

export interface RehearsalAgent {
  /** Agent name (label cascade.agent). */
  name: string;
  /** Pulumi resource name, e.g. core_platform-ServiceRegistry. */
  resource: string;
  group: string;
  wave: number;
  critical: boolean;
  /** Agents it waits for: exactly the dependsOn edges between agent containers. */
  dependsOn: string[];
  inputs: ContainerInputs;
}

export interface RehearsalFleet {
  stack: string;
  agents: RehearsalAgent[];
  /** The never-started container that fills the files volume, if the program registers one. */
  seeder?: { resource: string; inputs: ContainerInputs };
  /** Other containers the program registers (monitoring), left out of the rehearsal. */
  skipped: string[];
}

export function label(inputs: ContainerInputs, key: string): string | undefined {
  return inputs.labels?.find((entry) => entry.label === key)?.value;
}

export function env(inputs: ContainerInputs, key: string): string | undefined {
  const prefix = `${key}=`;
  return inputs.envs?.find((entry) => entry.startsWith(prefix))?.slice(prefix.length);
}

/** Reads the agent containers (those carrying cascade.agent) and the seeder out of a program run. */
export function rehearsalFleet(stack: string, run: ProgramRun): RehearsalFleet {
  const containers = run.resources.filter((resource) => resource.type === CONTAINER_TYPE);
  const agentByResource = new Map<string, string>();
  for (const container of containers) {
    const agent = label(container.inputs as unknown as ContainerInputs, LABELS.agent);
    if (agent !== undefined) agentByResource.set(container.name, agent);
  }
  const agents: RehearsalAgent[] = [];
  const skipped: string[] = [];
  let seeder: RehearsalFleet["seeder"];
  for (const container of containers) {
    const inputs = container.inputs as unknown as ContainerInputs;
    const agent = agentByResource.get(container.name);
    if (agent !== undefined) {
      agents.push(agentOf(agent, container, inputs, agentByResource));
    } else if (inputs.start === false && (inputs.uploads?.length ?? 0) > 0) {
      seeder = { resource: container.name, inputs };
    } else {
      skipped.push(inputs.name ?? container.name);
    }
  }
  return { stack, agents, seeder, skipped };
}

function agentOf(
  name: string,
  container: RegisteredResource,
  inputs: ContainerInputs,
  agentByResource: ReadonlyMap<string, string>,
): RehearsalAgent {
  return {
    name,
    resource: container.name,
    group: label(inputs, LABELS.group) ?? "",
    wave: Number(label(inputs, LABELS.wave) ?? 0),
    critical: label(inputs, LABELS.critical) === "true",
    dependsOn: container.dependsOn.flatMap((resource) => {
      const agent = agentByResource.get(resource);
      return agent === undefined ? [] : [agent];
    }),
    inputs,
  };
}

/** Keeps `names` and everything they transitively depend on (a quick rehearsal of part of a fleet). */
export function restrictFleet(fleet: RehearsalFleet, names: string[]): RehearsalFleet {
  const byName = new Map(fleet.agents.map((agent) => [agent.name, agent]));
  const unknown = names.filter((name) => !byName.has(name));
  if (unknown.length > 0) {
    throw new Error(
      `no agent ${unknown.join(", ")} in stack ${fleet.stack}; it has ${[...byName.keys()].join(", ")}`,
    );
  }
  const keep = new Set<string>();
  const visit = (name: string): void => {
    if (keep.has(name)) return;
    keep.add(name);
    for (const dependency of byName.get(name)!.dependsOn) visit(dependency);
  };
  names.forEach(visit);
  return { ...fleet, agents: fleet.agents.filter((agent) => keep.has(agent.name)) };
}

/** Direct dependents of each agent. */
export function dependentsOf(fleet: RehearsalFleet): Map<string, string[]> {
  const dependents = new Map<string, string[]>(fleet.agents.map((agent) => [agent.name, []]));
  for (const agent of fleet.agents) {
    for (const dependency of agent.dependsOn) dependents.get(dependency)?.push(agent.name);
  }
  return dependents;
}
