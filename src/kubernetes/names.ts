/**
 * Kubernetes names for fleet names. Pure.
 *
 * Agent names are CamelCase ("ServiceRegistry", "STTService"); Kubernetes object names are
 * DNS-1123 labels. An agent's Deployment, Service, ConfigMap and PodDisruptionBudget all carry its
 * DNS name, and other agents reach it at `http://<dns name>:<port>` inside the namespace.
 */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** "ServiceRegistry" -> "service-registry", "STTService" -> "stt-service", "core_platform" -> "core-platform". */
export function dnsName(name: string): string {
  const dns = name
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1-$2")
    .replace(/[^A-Za-z0-9]+/g, "-")
    .toLowerCase()
    .replace(/^-+|-+$/g, "");
  if (!isDnsLabel(dns)) {
    throw new Error(`"${name}" has no Kubernetes name: "${dns}" is not a DNS-1123 label`);
  }
  return dns;
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
