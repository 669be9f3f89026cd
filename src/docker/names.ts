import type { Agent } from "../fleet/model";

/** "VRAMOptimizerAgent" -> "vram-optimizer-agent", "core_platform" -> "core-platform". */
export function kebab(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1-$2")
    .replace(/[^A-Za-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .toLowerCase();
}

/** The Docker container name of an agent: `cascade-<stack>-<agent>`, unique per host. */
export function containerName(stack: string, agent: Pick<Agent, "name">): string {
  return `cascade-${stack}-${kebab(agent.name)}`;
}

/** The stack's network, unless the stack sets `cascade:network`. */
export function defaultNetworkName(stack: string): string {
  return `cascade-${stack}`;
}

/** The volume holding the probe binary and the agents' model configs. */
export function filesVolumeName(stack: string): string {
  return `cascade-${stack}-files`;
}

/** A Pulumi resource name for an image reference: "reg.io/cascade/x:1.0" -> "reg.io-cascade-x-1.0". */
export function imageResourceName(reference: string): string {
  return reference.replace(/[/:@]+/g, "-");
}
