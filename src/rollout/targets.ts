import type { VerifyTarget } from "./verifier";
import type { StateResource } from "./workspace";

/**
 * From stack outputs to what the verifier polls and what `--target` names. The stack exports
 * `agents: { <agent>: { name, wave, healthUrl, urns } }` (src/targets/fleet-deployment.ts);
 * critical and group come from the fleet file of the same version. An agent of the fleet without
 * an output is still a target, with no URL: it counts as not answering.
 */

/** What the verifier needs of an agent of the version deployed (a fleet's Agent, or a SpecAgent). */
export type VerifiedAgent = Pick<VerifyTarget, "name" | "group" | "wave" | "critical">;

/** One agent's entry in the stack output `agents`, as far as it is there. */
interface DeployedAgent {
  wave?: number;
  healthUrl?: string;
  urns?: string[];
}

function deployedAgents(outputs: Record<string, unknown>): Record<string, DeployedAgent> {
  return (outputs.agents ?? {}) as Record<string, DeployedAgent>;
}

export function verifyTargets(
  agents: readonly VerifiedAgent[],
  outputs: Record<string, unknown>,
): VerifyTarget[] {
  const deployed = deployedAgents(outputs);
  return agents.map((agent) => ({
    name: agent.name,
    group: agent.group,
    wave: deployed[agent.name]?.wave ?? agent.wave,
    critical: agent.critical,
    healthUrl: deployed[agent.name]?.healthUrl ?? "",
  }));
}

/** The wave each agent is deployed in now, from the stack outputs. */
export function deployedWaves(outputs: Record<string, unknown>): Map<string, number> {
  return new Map(
    Object.entries(deployedAgents(outputs))
      .filter(([, value]) => typeof value?.wave === "number")
      .map(([name, value]) => [name, value.wave!]),
  );
}

/** The agents the stack outputs name. */
export function deployedAgentNames(outputs: Record<string, unknown>): string[] {
  return Object.keys(deployedAgents(outputs));
}

/**
 * The URNs of every resource of `agents` as the stack outputs list them (`agents.<name>.urns`),
 * those in the stack's state only.
 */
export function urnsOfAgents(
  outputs: Record<string, unknown>,
  agents: Iterable<string>,
  state: readonly StateResource[],
): string[] {
  const inState = new Set(state.map((resource) => resource.urn));
  const deployed = deployedAgents(outputs);
  return [...agents]
    .flatMap((agent) => deployed[agent]?.urns ?? [])
    .filter((urn) => inState.has(urn));
}
