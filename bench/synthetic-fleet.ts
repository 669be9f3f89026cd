import { stringify } from "yaml";

/**
 * A fleet file of `agents` agents and about `edges` dependencies, in `waves` waves of equal
 * size. Each agent depends on random agents of earlier waves, so the graph is acyclic and
 * every declared wave is consistent. Deterministic for a given size (fixed-seed generator).
 */
export function syntheticFleetYaml(agents: number, edges: number, waves: number): string {
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const perWave = Math.ceil(agents / waves);
  const perAgent = edges / agents;
  const groups: Record<string, { wave: string; agents: unknown[] }> = {};
  for (let i = 0; i < agents; i++) {
    const wave = Math.floor(i / perWave);
    const earlier = wave * perWave;
    const count = earlier === 0 ? 0 : Math.round(perAgent * (agents / (agents - perWave)));
    const dependsOn = new Set<string>();
    while (earlier > 0 && dependsOn.size < Math.min(count, earlier)) {
      dependsOn.add(`agent${Math.floor(random() * earlier)}`);
    }
    const group = (groups[`group${wave}`] ??= { wave: `wave_${wave + 1}`, agents: [] });
    group.agents.push({
      name: `agent${i}`,
      image: "cascade/standin",
      ports: { health: 10000 + i },
      depends_on: [...dependsOn],
      health_check: {
        type: "http",
        endpoint: "/health",
        interval: "5s",
        timeout: "3s",
        start_period: `${i % 60}s`,
      },
    });
  }
  return stringify({
    host: "synthetic",
    waves: Array.from({ length: waves }, (_, w) => ({
      name: `wave_${w + 1}`,
      window: [`${w * 60}s`, `${(w + 1) * 60}s`],
    })),
    groups,
  });
}
