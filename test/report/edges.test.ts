import { strict as assert } from "node:assert";
import fc from "fast-check";
import { edgesToDraw, transitiveReduction } from "../../src/report/edges";
import type { ReportEdge } from "../../src/report/model";

/** A random DAG: node i depends only on nodes before it; each node in a wave >= its index's. */
const dag = fc
  .array(fc.record({ picks: fc.array(fc.nat(), { maxLength: 4 }), waveStep: fc.nat({ max: 1 }) }), {
    minLength: 1,
    maxLength: 40,
  })
  .map((rows) => {
    let wave = 1;
    return rows.map((row, i) => {
      wave += row.waveStep;
      const dependsOn = i === 0 ? [] : [...new Set(row.picks.map((pick) => `n${pick % i}`))];
      return { name: `n${i}`, wave, dependsOn };
    });
  });

/** Every node reachable from `from` over `edges`, `from` excluded. */
function reachable(edges: ReportEdge[], from: string): Set<string> {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const node = stack.pop()!;
    for (const edge of edges)
      if (edge.from === node && !seen.has(edge.to)) {
        seen.add(edge.to);
        stack.push(edge.to);
      }
  }
  return seen;
}

const edgesOf = (nodes: { name: string; dependsOn: string[] }[]): ReportEdge[] =>
  nodes.flatMap((node) => node.dependsOn.map((from) => ({ from, to: node.name })));

describe("report: the dependency graph's edges", () => {
  it("keeps exactly the edges no longer path replaces (against a search per edge)", () => {
    fc.assert(
      fc.property(dag, (nodes) => {
        const all = edgesOf(nodes);
        const kept = transitiveReduction(
          nodes.map((node) => node.name),
          all,
        );
        for (const edge of all) {
          const others = all.filter((e) => e !== edge);
          const viaOthers = reachable(others, edge.from).has(edge.to);
          assert.equal(kept.includes(edge), !viaOthers, `${edge.from} -> ${edge.to}`);
        }
      }),
    );
  });

  it("the dependencies ordering: what is drawn orders the agents as all declared edges do", () => {
    fc.assert(
      fc.property(dag, (nodes) => {
        const { drawn, implied } = edgesToDraw(nodes, false);
        const all = edgesOf(nodes);
        assert.equal(drawn.length + implied, all.length);
        for (const node of nodes)
          assert.deepEqual(reachable(drawn, node.name), reachable(all, node.name), node.name);
      }),
    );
  });

  it("the waves ordering: dependencies on an earlier wave are left to the barrier", () => {
    fc.assert(
      fc.property(dag, (nodes) => {
        const waveOf = new Map(nodes.map((node) => [node.name, node.wave]));
        const { drawn } = edgesToDraw(nodes, true);
        for (const edge of drawn) assert.equal(waveOf.get(edge.from), waveOf.get(edge.to));
        const inWave = edgesOf(nodes).filter((e) => waveOf.get(e.from) === waveOf.get(e.to));
        for (const node of nodes)
          assert.deepEqual(reachable(drawn, node.name), reachable(inWave, node.name), node.name);
      }),
    );
  });

  it("a chain of 5,000 agents does not overflow the stack", () => {
    const nodes = Array.from({ length: 5_000 }, (_, i) => `n${i}`);
    const chain = nodes.slice(1).map((to, i) => ({ from: nodes[i], to }));
    assert.equal(transitiveReduction(nodes, chain).length, chain.length);
  });
});
