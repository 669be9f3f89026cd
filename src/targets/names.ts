import type { Agent } from "../fleet/model";
import { kebabName } from "../fleet/names";
import type { StackSettings } from "../stack/settings";

/**
 * Every name cascade gives things on a host, for every target and for the rollout that reads
 * them back. Pure.
 *
 * Agent names are CamelCase ("ServiceRegistry", "STTService"); container names, network aliases
 * and Kubernetes object names are their kebab-case form. On Kubernetes an agent's Deployment,
 * Service, ConfigMap and PodDisruptionBudget all carry its DNS name, and other agents reach it at
 * `http://<dns name>:<port>` inside the namespace.
 */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * "VRAMOptimizerAgent" -> "vram-optimizer-agent", "STTService" -> "stt-service", "core_platform"
 * -> "core-platform"; the fleet loader checks names with the same rule (length, collisions,
 * reserved names).
 */
export const kebab = kebabName;

/** The kebab-case name as a DNS-1123 label (Kubernetes object names); throws when it is not one. */
export function dnsName(name: string): string {
  const problem = dnsNameProblem(name);
  if (problem) throw new Error(problem);
  return kebab(name);
}

/** Why `name` has no DNS name, or undefined when it has one. */
export function dnsNameProblem(name: string): string | undefined {
  const dns = kebab(name);
  if (isDnsLabel(dns)) return undefined;
  return `"${name}" has no Kubernetes name: "${dns}" is not a DNS-1123 label (at most 63 of a-z, 0-9 and "-")`;
}

export function isDnsLabel(name: string): boolean {
  return name.length <= 63 && DNS_LABEL.test(name);
}

/** Names that would collide once lowered ("FooBar" and "foo_bar"), as "a, b -> dns" lines. */
export function dnsCollisions(names: readonly string[]): string[] {
  const byDns = new Map<string, string[]>();
  for (const name of names) {
    const dns = dnsName(name);
    byDns.set(dns, [...(byDns.get(dns) ?? []), name]);
  }
  return [...byDns]
    .filter(([, sources]) => sources.length > 1)
    .map(([dns, sources]) => `${sources.join(", ")} -> ${dns}`);
}

/** The Docker container name of an agent: `cascade-<stack>-<agent>`, unique per host. */
export function containerName(stack: string, agent: Pick<Agent, "name">): string {
  return `cascade-${stack}-${kebab(agent.name)}`;
}

/** The stack's Docker network: `cascade:network`, else `cascade-<stack>`. */
export function networkName(stack: string, settings: Pick<StackSettings, "network">): string {
  return settings.network ?? `cascade-${stack}`;
}

/** The Docker volume holding the probe binary and the agents' model configs. */
export function filesVolumeName(stack: string): string {
  return `cascade-${stack}-files`;
}

/** The stack's Kubernetes namespace: `cascade:namespace`, else `cascade-<stack>`. */
export function namespaceName(stack: string, settings: Pick<StackSettings, "namespace">): string {
  return settings.namespace ?? `cascade-${dnsName(stack)}`;
}
