/**
 * The Pulumi program (src/index.ts) evaluated under mocks, as `pulumi preview` runs it minus the
 * engine: each shipped stack with its real config, and a synthetic 1,000-agent fleet.
 * Each run is a fresh process (Pulumi's runtime is global and keeps every resource of a run
 * alive), with the program's modules loaded and a small warm-up program run before the clock
 * starts: "program time" is from evaluating src/index.ts until every resource registration has
 * finished. Median of 5 runs.
 * Targets: mainpc under 2 s, 1,000 agents under 15 s.
 * Run: npx tsx bench/program.ts
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import { syntheticFleetYaml } from "./synthetic-fleet";

const RUNS = 5;
const WARMUP_STACK = path.join(
  __dirname,
  "..",
  "test",
  "docker",
  "fixtures",
  "Pulumi.fixture.yaml",
);

interface Scenario {
  label: string;
  stack: string;
  stackFile?: string;
  targetMs: number;
}

interface ChildResult {
  programMs: number;
  /** CPU time (user + system) of the run: what the program costs when the machine is shared. */
  cpuMs: number;
  resources: number;
  heapMb: number;
}

async function child(stack: string, stackFile: string | undefined): Promise<void> {
  const { runProgram } = await import("../test/support/pulumi-harness");
  // Load what src/index.ts imports, so module loading (and its TypeScript transpile) is not timed.
  await import("../src/docker/fleet");
  await import("../src/kubernetes/fleet");
  await import("../src/stack/pulumi-settings");
  // One small program first (the fixture of test/docker), so V8 has compiled the SDK's paths.
  await runProgram({ stack: "fixture", stackFile: WARMUP_STACK });
  const cpu = process.cpuUsage();
  const run = await runProgram({ stack, stackFile });
  const used = process.cpuUsage(cpu);
  const result: ChildResult = {
    programMs: run.programMs,
    cpuMs: (used.user + used.system) / 1000,
    resources: run.resources.length,
    heapMb: process.memoryUsage().heapUsed / 2 ** 20,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function syntheticStackFile(agents: number): string {
  const dir = mkdtempSync(path.join(tmpdir(), "cascade-bench-"));
  const fleet = path.join(dir, "fleet.yaml");
  writeFileSync(fleet, syntheticFleetYaml(agents, agents * 3, 10));
  const stackFile = path.join(dir, "Pulumi.synthetic.yaml");
  const config = {
    "cascade:fleet": fleet,
    "cascade:target": "docker",
    "cascade:ordering": "dependencies",
    "cascade:dockerHost": "unix:///var/run/docker.sock",
  };
  writeFileSync(stackFile, stringify({ config }));
  return stackFile;
}

function measure(scenario: Scenario): boolean {
  const results: ChildResult[] = [];
  for (let run = 0; run < RUNS; run++) {
    const args = ["--import", "tsx", __filename, "--child", scenario.stack];
    if (scenario.stackFile) args.push(scenario.stackFile);
    const out = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 2 ** 24 });
    if (out.status !== 0) throw new Error(`${scenario.label}: ${out.stderr}`);
    results.push(JSON.parse(out.stdout.trim().split("\n").pop()!) as ChildResult);
  }
  const times = results.map((r) => r.programMs).sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const cpu = results.map((r) => r.cpuMs).sort((a, b) => a - b)[Math.floor(results.length / 2)];
  const ok = median < scenario.targetMs;
  console.log(
    [
      scenario.label.padEnd(24),
      `${String(results[0].resources).padStart(5)} resources`,
      `median of ${RUNS} ${fmt(median)}`,
      `(min ${fmt(times[0])}, max ${fmt(times[times.length - 1])})`,
      `cpu ${fmt(cpu)}`,
      `heap ${Math.max(...results.map((r) => r.heapMb)).toFixed(0)} MB`,
      `target < ${fmt(scenario.targetMs)}`,
      ok ? "OK" : "OVER",
    ].join("  "),
  );
  return ok;
}

function fmt(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

if (process.argv[2] === "--child") {
  void child(process.argv[3], process.argv[4]);
} else {
  console.log(`load average ${loadavg()[0].toFixed(1)} on this machine`);
  const scenarios: Scenario[] = [
    { label: "mainpc (waves)", stack: "mainpc", targetMs: 2000 },
    { label: "pc2 (dependencies)", stack: "pc2", targetMs: 2000 },
    {
      label: "synthetic 1,000 agents",
      stack: "synthetic",
      stackFile: syntheticStackFile(1000),
      targetMs: 15_000,
    },
  ];
  const ok = scenarios.map(measure);
  if (ok.includes(false)) process.exitCode = 1;
}
