import { quote } from "./problems";

/**
 * Names in a fleet file (agents, groups, waves, templates, the host) become Docker container
 * names (`cascade-<stack>-<kebab>`) and Kubernetes DNS-1123 labels, so they are held to what
 * both accept. The conversion lives here, in the pure fleet layer, so that validation and the
 * targets apply one rule.
 */

/** A DNS-1123 label's limit, and so the limit of a name and of its converted form. */
export const NAME_MAX_LENGTH = 63;
const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** Why `name` cannot be a name, or undefined when it can. */
export function nameProblem(name: string): string | undefined {
  if (name.length > NAME_MAX_LENGTH) {
    return `name of ${name.length} characters (${quote(name)}); a name has at most ${NAME_MAX_LENGTH}, as it becomes a container and a Kubernetes name: shorten it`;
  }
  if (!NAME.test(name)) {
    return `${quote(name)} is not a name: use letters, digits, '_' or '-', starting with a letter`;
  }
  return undefined;
}

/** "VRAMOptimizerAgent" -> "vram-optimizer-agent", "core_platform" -> "core-platform". */
export function kebabName(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1-$2")
    .replace(/[^A-Za-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .toLowerCase();
}

/**
 * Converted names the stack's own containers and volume take next to the agents
 * (`cascade-<stack>-prometheus`, `-grafana`, `-files`, `-files-seeder`).
 */
export const RESERVED_NAMES: ReadonlyMap<string, string> = new Map([
  ["prometheus", "the stack's Prometheus container"],
  ["grafana", "the stack's Grafana container"],
  ["files", "the stack's files volume"],
  ["files-seeder", "the container that fills the stack's files volume"],
]);
