/**
 * Time to all healthy for one stack (mainpc) on the local Docker engine, the same stand-in image
 * (pinned by id) and the same scaled timings for every way of starting it, in one run:
 *
 *   rehearse:<ordering>   `cascade rehearse` (src/rehearse/run.ts), waves or dependencies
 *   compose:<ordering>    `docker-compose up -d` of `cascade export compose` with the same
 *                         stand-in mapping (src/rehearse/compose-rehearsal.ts), timed by
 *                         Docker's health_status events until every container is healthy
 *   pulumi:<ordering>     `pulumi up` of the local stack (bench/startup-pulumi.ts) with the same
 *                         stand-in mapping, when pulumi, pulumi-language-nodejs and
 *                         pulumi-resource-docker are on PATH (`eval "$(scripts/build-engine.sh env)"`);
 *                         else the bench says so at its start and under its table, and goes on
 *
 * Modes run round after round (each round in a rotated order, so drifting load spreads over all);
 * medians are printed with the load average. Each is put against the planner's bound (its
 * expected all-healthy time under the rehearsal's timings, `rehearsalTiming`: every agent at its
 * first passing probe) and against Compose in the same ordering; per wave, the planner's
 * prediction next to what was measured. Experiments: `rehearse:dependencies:poll` (health by
 * inspects every 100 ms instead of events), `rehearse:dependencies:gate=N` (creates and starts
 * in flight).
 *
 * Run: npx tsx bench/startup.ts [--rounds 3] [--scale 0.05] [--stack mainpc] [--modes a,b,...]
 * under the shared Docker lock, with the engine on PATH for the pulumi modes:
 *   eval "$(scripts/build-engine.sh env)"; flock /tmp/cascade-docker.lock npm run bench:startup
 */
import { execFileSync } from "node:child_process";
import { loadavg } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { containerSpecs } from "../src/docker/container-spec";
import { loadFleet } from "../src/fleet/loader";
import type { Fleet } from "../src/fleet/model";
import { planFleet, ORDERINGS, type Ordering, type Plan } from "../src/fleet/planner";
import { composeRehearsal } from "../src/rehearse/compose-rehearsal";
import { dockerClient, rehearse, ROOT } from "../src/rehearse/run";
import { intervalFloorMs, rehearsalTiming } from "../src/rehearse/scale";
import { fleetStackContext, type StackSettings } from "../src/stack/settings";
import { readStackFile } from "../src/stack/stack-file";
import { pulumiUp, pulumiUnavailable } from "./startup-pulumi";

const DEFAULT_MODES = [
  "rehearse:dependencies",
  "compose:dependencies",
  "pulumi:dependencies",
  "rehearse:waves",
  "compose:waves",
  "pulumi:waves",
];
const TARGET_RATIO = 1.1;

interface Measurement {
  mode: string;
  ordering: Ordering;
  outcome: "healthy" | "failed";
  allHealthyMs?: number;
  /** Per wave index, when its last agent was healthy. */
  waves: Map<number, number>;
  /** Probe execs Docker logged (Start to End), rehearse only. */
  probeExecMs: number[];
  /** Where the measured critical path's time went, rehearse only. */
  split?: Record<string, number>;
  failure?: string;
  load: [number, number];
}

interface Bench {
  stack: string;
  scale: number;
  image: string;
  minIntervalMs: number;
  fleet: Fleet;
  settings: StackSettings;
}

const s = (ms: number | undefined): string =>
  ms === undefined ? "-" : `${(ms / 1000).toFixed(1)} s`;
const load1 = (): number => loadavg()[0];

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function percentile(values: number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** The plan under the rehearsal's timings: its expected times are the bound and the prediction. */
function predicted(bench: Bench, ordering: Ordering): Plan {
  const plan = planFleet(bench.fleet, ordering);
  const specs = new Map(
    containerSpecs(bench.fleet, plan, { stack: bench.stack, settings: bench.settings }).map(
      (spec) => [spec.agent, spec],
    ),
  );
  return planFleet(bench.fleet, ordering, (agent) =>
    rehearsalTiming(specs.get(agent.name)!, bench.scale, bench.minIntervalMs),
  );
}

async function measure(bench: Bench, mode: string): Promise<Measurement> {
  const [kind, ordering = "waves", variant] = mode.split(":") as [string, Ordering?, string?];
  const before = load1();
  const done = (m: Omit<Measurement, "mode" | "ordering" | "load">): Measurement => ({
    ...m,
    mode,
    ordering,
    load: [before, load1()],
  });
  if (kind === "rehearse") {
    const report = await rehearse({
      stack: bench.stack,
      ordering,
      scale: bench.scale,
      scenario: "all-healthy",
      keep: false,
      image: bench.image,
      minIntervalMs: bench.minIntervalMs,
      pollMs: variant === "poll" ? 100 : undefined,
      startConcurrency: variant?.startsWith("gate=") ? Number(variant.slice(5)) : undefined,
    });
    const b = report.criticalPath.breakdown;
    return done({
      outcome: report.outcome,
      allHealthyMs: report.allHealthyMs,
      waves: new Map(report.waves.map((w) => [w.wave, w.lastHealthyMs ?? NaN])),
      probeExecMs: report.agents.flatMap((agent) => agent.probeExecMs),
      split: b && {
        setup: b.setupMs,
        start: b.engineMs,
        "late probes": b.lateProbesMs,
        "probe exec": b.probeExecMs,
        "seen after": b.pollMs,
        scheduling: b.schedulingMs,
      },
      failure: report.failure?.message,
    });
  }
  if (kind === "compose") {
    const result = await composeRehearsal({
      docker: dockerClient(),
      stack: bench.stack,
      settings: bench.settings,
      fleet: bench.fleet,
      ordering,
      scale: bench.scale,
      minIntervalMs: bench.minIntervalMs,
      image: bench.image,
      projectRoot: ROOT,
    });
    return done({
      outcome: result.outcome,
      allHealthyMs: result.allHealthyMs,
      waves: wavesOf(result.agents),
      probeExecMs: [],
      failure: result.failure,
    });
  }
  if (kind === "pulumi") {
    const result = await pulumiUp(bench, ordering);
    return done({ ...result, waves: wavesOf(result.agents), probeExecMs: [] });
  }
  throw new Error(`unknown mode ${mode}`);
}

function wavesOf(agents: { wave: number; healthyMs?: number }[]): Map<number, number> {
  const waves = new Map<number, number>();
  for (const agent of agents)
    waves.set(agent.wave, Math.max(waves.get(agent.wave) ?? 0, agent.healthyMs ?? NaN));
  return waves;
}

function report(
  bench: Bench,
  modes: string[],
  results: Measurement[],
  pulumiSkipped: string | undefined,
): void {
  const plans = new Map(ORDERINGS.map((o) => [o, predicted(bench, o)]));
  const medianOf = (mode: string) =>
    median(
      results.filter((r) => r.mode === mode && r.outcome === "healthy").map((r) => r.allHealthyMs!),
    );
  console.log(
    `\n${"mode".padEnd(30)} runs  healthy  all healthy (median)  bound    / bound  / Compose  load 1-min`,
  );
  for (const mode of modes) {
    const runs = results.filter((r) => r.mode === mode);
    if (runs.length === 0) continue;
    const ordering = runs[0].ordering;
    const bound = plans.get(ordering)!.criticalPath.expected.seconds * 1000;
    const ms = medianOf(mode);
    const compose = medianOf(`compose:${ordering}`);
    const loads = runs.flatMap((r) => r.load).map((l) => l.toFixed(1));
    console.log(
      `${mode.padEnd(30)} ${String(runs.length).padStart(4)}  ${String(runs.filter((r) => r.outcome === "healthy").length).padStart(7)}  ${s(ms).padStart(20)}  ${s(bound).padStart(7)}  ${ms === undefined ? "    -" : (ms / bound).toFixed(2).padStart(6)}  ${ms === undefined || compose === undefined ? "      -" : (ms / compose).toFixed(2).padStart(8)}  ${Math.min(...loads.map(Number)).toFixed(1)}-${Math.max(...loads.map(Number)).toFixed(1)}`,
    );
  }
  if (pulumiSkipped) console.log(`pulumi up: NOT MEASURED, ${pulumiSkipped}`);
  const deps = medianOf("rehearse:dependencies");
  const depsBound = plans.get("dependencies")!.criticalPath.expected.seconds * 1000;
  const composeDeps = medianOf("compose:dependencies");
  if (deps !== undefined) {
    console.log(
      `\ngoal: rehearse:dependencies <= ${TARGET_RATIO.toFixed(2)} x bound: ${(deps / depsBound).toFixed(2)} (${deps / depsBound <= TARGET_RATIO ? "met" : "missed"})` +
        (composeDeps === undefined
          ? ""
          : `; no slower than Compose: ${(deps / composeDeps).toFixed(2)} (${deps <= composeDeps ? "met" : "missed"})`),
    );
  }
  for (const mode of modes) predictedVsMeasured(mode, results, plans);
  for (const mode of modes) engineSplit(mode, results);
  for (const r of results.filter((r) => r.failure)) console.log(`${r.mode}: ${r.failure}`);
}

/** Per wave, the planner's expected time under the rehearsal's timings and the median measured. */
function predictedVsMeasured(mode: string, results: Measurement[], plans: Map<Ordering, Plan>) {
  const runs = results.filter((r) => r.mode === mode && r.outcome === "healthy");
  if (runs.length === 0) return;
  const plan = plans.get(runs[0].ordering)!;
  console.log(`\n${mode}: wave  predicted  measured (median)  measured - predicted`);
  for (const wave of plan.waves) {
    const measured = median(
      runs.map((r) => r.waves.get(wave.index) ?? NaN).filter(Number.isFinite),
    );
    const predictedMs = wave.expectedReadySeconds * 1000;
    console.log(
      `${" ".repeat(mode.length)}  ${String(wave.index).padStart(4)}  ${s(predictedMs).padStart(9)}  ${s(measured).padStart(17)}  ${measured === undefined ? "-" : s(measured - predictedMs).padStart(20)}`,
    );
  }
}

/** The rehearsal's measured critical path, split (medians), and the probe exec times. */
function engineSplit(mode: string, results: Measurement[]) {
  const runs = results.filter((r) => r.mode === mode && r.split);
  if (runs.length === 0) return;
  const parts = Object.keys(runs[0].split!);
  const execs = runs.flatMap((r) => r.probeExecMs);
  console.log(
    `${mode}: path split (median) ${parts.map((p) => `${p} ${s(median(runs.map((r) => r.split![p])))}`).join(", ")}; ` +
      `probe exec median ${median(execs)} ms, p90 ${percentile(execs, 0.9)} ms (${execs.length} probes)`,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scale: { type: "string", default: "0.05" },
      stack: { type: "string", default: "mainpc" },
      rounds: { type: "string", default: "3" },
      modes: { type: "string", default: DEFAULT_MODES.join(",") },
    },
  });
  execFileSync(path.join(ROOT, "scripts", "dockerd.sh"), ["start"], { stdio: "ignore" });
  const image = execFileSync(path.join(ROOT, "scripts", "build-standin-image.sh"), {
    encoding: "utf8",
  })
    .trim()
    .split("\n")
    .at(-1)!;
  const stackFile = readStackFile(ROOT, values.stack);
  const fleet = loadFleet(
    stackFile.fleetPath,
    fleetStackContext(stackFile.stack, stackFile.settings),
  );
  const bench: Bench = {
    stack: values.stack,
    scale: Number(values.scale),
    image,
    minIntervalMs: intervalFloorMs(fleet.agents.length),
    fleet,
    settings: stackFile.settings,
  };
  let modes = values.modes.split(",").filter(Boolean);
  const pulumiSkipped = modes.some((mode) => mode.startsWith("pulumi"))
    ? pulumiUnavailable()
    : undefined;
  if (pulumiSkipped) {
    console.log(`pulumi up: NOT MEASURED, ${pulumiSkipped}`);
    modes = modes.filter((mode) => !mode.startsWith("pulumi"));
  }
  console.log(
    `bench/startup: stack ${bench.stack}, ${fleet.agents.length} agents, scale ${bench.scale}, ` +
      `interval floor ${bench.minIntervalMs} ms, image ${image.slice(0, 19)}, ${values.rounds} rounds, ` +
      `load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")}`,
  );
  const results: Measurement[] = [];
  for (let round = 0; round < Number(values.rounds); round++) {
    const order = modes.map((_, i) => modes[(i + round) % modes.length]);
    for (const mode of order) {
      const result = await measure(bench, mode);
      results.push(result);
      console.log(
        `round ${round + 1} ${mode.padEnd(30)} ${result.outcome.padEnd(8)} ${s(result.allHealthyMs)}  load ${result.load.map((l) => l.toFixed(1)).join(" -> ")}`,
      );
    }
  }
  report(bench, modes, results, pulumiSkipped);
  if (results.some((r) => r.outcome !== "healthy")) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
