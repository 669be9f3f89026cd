/**
 * Dependency-graph algorithms over agent names, linear in agents + edges. `edges.get(a)` lists
 * what `a` depends on. Names missing from `edges` are treated as having no dependencies.
 */
export type DependencyGraph = ReadonlyMap<string, readonly string[]>;

/**
 * Every agent after all its dependencies (Kahn's algorithm), or the agents left on a cycle.
 * Ties keep the input order, so the output is stable for a given file.
 */
export function topologicalOrder(
  names: readonly string[],
  edges: DependencyGraph,
): { order: string[]; blocked: string[] } {
  const waitingOn = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const name of names) {
    const dependencies = edges.get(name) ?? [];
    waitingOn.set(name, dependencies.length);
    for (const dependency of dependencies) {
      let list = dependents.get(dependency);
      if (!list) dependents.set(dependency, (list = []));
      list.push(name);
    }
  }
  const order = names.filter((name) => waitingOn.get(name) === 0);
  for (let next = 0; next < order.length; next++) {
    for (const dependent of dependents.get(order[next]) ?? []) {
      const remaining = waitingOn.get(dependent)! - 1;
      waitingOn.set(dependent, remaining);
      if (remaining === 0) order.push(dependent);
    }
  }
  const blocked = names.filter((name) => waitingOn.get(name)! > 0);
  return { order, blocked };
}

/**
 * One cycle through the graph, as a closed path ["A", "B", "C", "A"] where A depends on B, or
 * undefined when the graph is acyclic. Iterative, so deep chains cannot overflow the stack.
 */
export function findCycle(names: readonly string[], edges: DependencyGraph): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  for (const root of names) {
    if (state.has(root)) continue;
    const path: string[] = [root];
    const cursors: number[] = [0];
    state.set(root, "open");
    while (path.length > 0) {
      const node = path[path.length - 1];
      const dependencies = edges.get(node) ?? [];
      const cursor = cursors[cursors.length - 1]++;
      if (cursor >= dependencies.length) {
        state.set(node, "done");
        path.pop();
        cursors.pop();
        continue;
      }
      const next = dependencies[cursor];
      if (state.get(next) === "open") return [...path.slice(path.indexOf(next)), next];
      if (!state.has(next) && edges.has(next)) {
        state.set(next, "open");
        path.push(next);
        cursors.push(0);
      }
    }
  }
  return undefined;
}

/** Topological level of every agent: 0 without dependencies, else 1 + its deepest dependency. */
export function levels(order: readonly string[], edges: DependencyGraph): Map<string, number> {
  const level = new Map<string, number>();
  for (const name of order) {
    let deepest = -1;
    for (const dependency of edges.get(name) ?? []) {
      deepest = Math.max(deepest, level.get(dependency) ?? -1);
    }
    level.set(name, deepest + 1);
  }
  return level;
}
