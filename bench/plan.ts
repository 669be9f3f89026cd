/**
 * Plans a synthetic fleet of 10,000 agents and 50,000 dependencies: validation (schema,
 * defaults, graph and port checks) and planning in both orderings, from the parsed file.
 * Prints the median of 5 runs and the memory it holds. Targets: under 1 s and under 300 MB.
 * Reading the 3.6 MB file (YAML events, positions, aliases) is timed apart, paid once.
 * Run: npm run bench:plan
 */
import { performance } from "node:perf_hooks";
import { validateFleet } from "../src/fleet/loader";
import { YamlSource } from "../src/fleet/yaml-source";
import { planFleet } from "../src/fleet/planner";
import { syntheticFleetYaml } from "./synthetic-fleet";

const AGENTS = 10_000;
const EDGES = 50_000;
const WAVES = 100;
const RUNS = 5;

const text = syntheticFleetYaml(AGENTS, EDGES, WAVES);
let start = performance.now();
const source = YamlSource.parse(text, "synthetic.yaml", "fleet file");
const yamlMs = performance.now() - start;
if (Array.isArray(source)) throw new Error(source.join("\n"));
const value = source.value;

global.gc?.();
const heapBefore = process.memoryUsage().heapUsed;
const timings = { validate: [] as number[], waves: [] as number[], dependencies: [] as number[] };
let edgeCount = 0;
let heldBytes = 0;
for (let run = 0; run < RUNS; run++) {
  start = performance.now();
  const fleet = validateFleet(value, "synthetic.yaml", {}, () => []);
  timings.validate.push(performance.now() - start);
  edgeCount = fleet.agents.reduce((sum, agent) => sum + agent.dependsOn.length, 0);
  const plans = (["waves", "dependencies"] as const).map((ordering) => {
    start = performance.now();
    const plan = planFleet(fleet, ordering);
    timings[ordering].push(performance.now() - start);
    return plan;
  });
  global.gc?.();
  heldBytes = Math.max(heldBytes, process.memoryUsage().heapUsed - heapBefore);
  if (plans.length !== 2) throw new Error("unreachable");
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const total = median(timings.validate) + median(timings.waves) + median(timings.dependencies);
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
console.log(
  `synthetic fleet: ${AGENTS} agents, ${edgeCount} dependencies, ${WAVES} waves; median of ${RUNS} runs`,
);
console.log(`  validate (schema, defaults, checks): ${median(timings.validate).toFixed(0)} ms`);
console.log(`  plan, waves ordering:                ${median(timings.waves).toFixed(0)} ms`);
console.log(`  plan, dependencies ordering:         ${median(timings.dependencies).toFixed(0)} ms`);
console.log(`  total:                               ${total.toFixed(0)} ms (target < 1000 ms)`);
console.log(
  `  heap held by fleet + both plans:     ${mb(heldBytes)}; process RSS ${mb(process.memoryUsage().rss)} (target < 300 MB)`,
);
console.log(
  `  (reading the ${(text.length / 2 ** 20).toFixed(1)} MB file, once: ${yamlMs.toFixed(0)} ms)`,
);
