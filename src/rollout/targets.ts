import { kebab } from "../docker/names";
import type { Fleet } from "../fleet/model";
import type { VerifyTarget } from "./verifier";
import type { StateResource } from "./workspace";

/**
 * From stack outputs and state to what the verifier polls and what `--target` names. The stack
 * exports `agents: { <agent>: { name, wave, healthUrl } }` (src/index.ts); critical and group
 * come from the fleet file of the same version. An agent of the fleet without an output is still
 * a target, with no URL: it counts as not answering.
 */
export function verifyTargets(fleet: Fleet, outputs: Record<string, unknown>): VerifyTarget[] {
  const agents = (outputs.agents ?? {}) as Record<string, { wave?: number; healthUrl?: string }>;
  return fleet.agents.map((agent) => ({
    name: agent.name,
    group: agent.group,
    wave: agents[agent.name]?.wave ?? agent.wave,
    critical: agent.critical,
    healthUrl: agents[agent.name]?.healthUrl ?? "",
  }));
}

/** The wave each agent is deployed in now, from the stack outputs. */
export function deployedWaves(outputs: Record<string, unknown>): Map<string, number> {
  const agents = (outputs.agents ?? {}) as Record<string, { wave?: number }>;
  return new Map(
    Object.entries(agents)
      .filter(([, value]) => typeof value?.wave === "number")
      .map(([name, value]) => [name, value.wave!]),
  );
}

/**
 * The agent a resource belongs to, by its URN name (the part after the last "::"): the agent's
 * name, or its kebab-case form as Kubernetes names need it, alone or joined by "-" (Docker's
 * "core_platform-ServiceRegistry", Kubernetes' "core_platform-service-registry"). The longest
 * matching agent name wins. Shared resources (network, images, monitoring) match none.
 */
export function agentOfUrn(urn: string, agents: readonly string[]): string | undefined {
  const name = urn.slice(urn.lastIndexOf("::") + 2);
  let best: string | undefined;
  for (const agent of agents) {
    const matches = [agent, kebab(agent)].some(
      (form) => name === form || name.startsWith(`${form}-`) || name.endsWith(`-${form}`),
    );
    if (matches && (!best || agent.length > best.length)) best = agent;
  }
  return best;
}

/** URNs of the resources of `agents`, skipping the stack and providers. */
export function urnsOfAgents(
  resources: readonly StateResource[],
  allAgents: readonly string[],
  agents: ReadonlySet<string>,
): string[] {
  return resources
    .filter((resource) => !resource.type.startsWith("pulumi:"))
    .filter((resource) => {
      const agent = agentOfUrn(resource.urn, allAgents);
      return agent !== undefined && agents.has(agent);
    })
    .map((resource) => resource.urn);
}
