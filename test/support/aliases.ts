import { strict as assert } from "node:assert";
import type { RegisteredResource } from "../../src/rehearse/capture";

/**
 * Every URN the engine matches each registered resource to, by URN: its own, its `aliases`, and
 * those it derives from its ancestors' aliases (Pulumi's inheritedChildAlias: a child whose name
 * starts with its parent's takes the parent alias's name as that prefix).
 */
export function answeredUrns(resources: readonly RegisteredResource[]): Map<string, Set<string>> {
  const answered = new Map<string, Set<string>>();
  const byUrn = new Map(resources.map((resource) => [resource.urn, resource]));
  // Registration order: a parent is registered before its children.
  for (const resource of resources) {
    const own = [resource.urn, ...resource.aliasUrns];
    const urns = new Set(own);
    const parent = resource.parentUrn ? byUrn.get(resource.parentUrn) : undefined;
    for (const parentAlias of parent ? answered.get(parent.urn)! : []) {
      if (parentAlias === parent!.urn) continue;
      for (const urn of own) urns.add(inheritedChildAlias(urn, parent!.name, parentAlias));
    }
    answered.set(resource.urn, urns);
  }
  return answered;
}

function inheritedChildAlias(childUrn: string, parentName: string, parentAlias: string): string {
  const [, , typePath, name] = childUrn.split("::");
  const type = typePath.slice(typePath.lastIndexOf("$") + 1);
  const aliasName = name.startsWith(parentName)
    ? nameOf(parentAlias) + name.slice(parentName.length)
    : name;
  return `${parentAlias.slice(0, parentAlias.lastIndexOf("::"))}$${type}::${aliasName}`;
}

function nameOf(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

/**
 * Each of `before` (a stack's URNs under an earlier program) is answered by exactly one
 * resource of `resources`: on that stack the engine updates in place what it would otherwise
 * delete and create again.
 */
export function assertKeepsUrns(resources: readonly RegisteredResource[], before: string[]): void {
  const answered = answeredUrns(resources);
  for (const urn of before) {
    const matches = [...answered].filter(([, urns]) => urns.has(urn)).map(([current]) => current);
    assert.equal(
      matches.length,
      1,
      `${urn} is answered by ${matches.length} resources: ${matches.join(", ")}`,
    );
  }
}
