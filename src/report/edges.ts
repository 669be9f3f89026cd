import type { ReportEdge } from "./model";

/**
 * The edges worth drawing: those the startup order does not already imply. Under the `waves`
 * ordering an agent waits for the whole previous wave, so a dependency on an earlier wave is
 * implied by the barrier (the graph draws waves as bands in order); what is left, and under
 * `dependencies` everything, is reduced transitively: A -> C is dropped when A -> B -> C exists.
 */
export function edgesToDraw(
  agents: readonly { name: string; wave: number; dependsOn: readonly string[] }[],
  wavesAreBarriers: boolean,
): { drawn: ReportEdge[]; implied: number } {
  const waveOf = new Map(agents.map((agent) => [agent.name, agent.wave]));
  const all = agents.flatMap((agent) => agent.dependsOn.map((from) => ({ from, to: agent.name })));
  const candidates = wavesAreBarriers
    ? all.filter((edge) => waveOf.get(edge.from) === waveOf.get(edge.to))
    : all;
  const drawn = transitiveReduction(
    agents.map((agent) => agent.name),
    candidates,
  );
  return { drawn, implied: all.length - drawn.length };
}

/** The edges of a DAG that no longer path replaces; descendants kept as bit sets. */
export function transitiveReduction(nodes: readonly string[], edges: ReportEdge[]): ReportEdge[] {
  const index = new Map(nodes.map((name, i) => [name, i]));
  const children = nodes.map(() => [] as number[]);
  for (const edge of edges) children[index.get(edge.from)!].push(index.get(edge.to)!);
  const words = Math.ceil(nodes.length / 32);
  const below = nodes.map(() => new Uint32Array(words));
  const has = (set: Uint32Array, i: number): boolean => (set[i >>> 5] & (1 << (i & 31))) !== 0;
  const done = new Uint8Array(nodes.length);
  const visit = (start: number): void => {
    // Iterative post-order, so a long chain cannot overflow the stack.
    const stack: [number, number][] = [[start, 0]];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const [node, next] = top;
      if (next < children[node].length) {
        top[1]++;
        const child = children[node][next];
        if (!done[child]) stack.push([child, 0]);
        continue;
      }
      stack.pop();
      for (const child of children[node]) {
        below[node][child >>> 5] |= 1 << (child & 31);
        for (let w = 0; w < words; w++) below[node][w] |= below[child][w];
      }
      done[node] = 1;
    }
  };
  nodes.forEach((_, i) => done[i] || visit(i));
  return edges.filter((edge) => {
    const from = index.get(edge.from)!;
    const to = index.get(edge.to)!;
    return !children[from].some((other) => other !== to && has(below[other], to));
  });
}
