/**
 * Fuzzes the fleet loader and what the CLI prints with 10,000 generated documents in one
 * process, and counts crashes, hangs, unpositioned problems and wrongly accepted fleets.
 * All four must be 0. `npm run bench:fuzz` (SEED=n and DOCUMENTS=n to vary the run).
 */
import fc from "fast-check";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { FleetError, parseFleet } from "../src/fleet/loader";
import { planFleet } from "../src/fleet/planner";
import { planJson, planMermaid, planText } from "../src/cli/render-plan";
import { VALID_FLEET } from "../test/support/fleet-fixture";
import { fleetViolations } from "../test/support/fleet-invariants";
import { fuzzDocument, mutatedFleet } from "../test/support/fleet-fuzz";
import { syntheticFleetYaml } from "./synthetic-fleet";

const SEED = Number(process.env.SEED ?? 13);
const DOCUMENTS = Number(process.env.DOCUMENTS ?? 10_000);
/** One document in this many is a mutated fleet of about a megabyte, to measure time per MB. */
const LARGE_EVERY = 500;
/** A hang: more CPU time than a second per megabyte, or this much for a small document. */
const FLOOR_MS = 100;
const FILE = "fuzz.yaml";
const POSITIONED = new RegExp(
  `^${FILE.replace(".", "\\.")}:\\d+:\\d+: [^\\n\\r\\u0085\\u2028\\u2029]+$`,
);

type Verdict = "crash" | "hang" | "unpositioned" | "wronglyAccepted";

interface Result {
  bytes: number;
  cpuMs: number;
  accepted: boolean;
  problemLines: number;
  verdicts: { verdict: Verdict; detail: string }[];
}

/** CPU milliseconds since `before` (process.cpuUsage()), this process's threads included. */
function cpuMsSince(before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

/**
 * What the CLI does with a document: load it, plan it both ways, render every output.
 * `cpuMs` is the loader's time alone, the figure the one-second-per-megabyte promise is about.
 */
function tryDocument(text: string): Omit<Result, "bytes"> {
  const verdicts: Result["verdicts"] = [];
  const before = process.cpuUsage();
  try {
    const fleet = parseFleet(text, FILE, { stack: "fuzz", gpuAvailable: true });
    const cpuMs = cpuMsSince(before);
    for (const ordering of ["waves", "dependencies"] as const) {
      const plan = planFleet(fleet, ordering);
      JSON.stringify(planJson(plan, "fuzz"));
      planText(plan, "fuzz");
      planMermaid(plan);
    }
    for (const violation of fleetViolations(fleet)) {
      verdicts.push({ verdict: "wronglyAccepted", detail: violation });
    }
    return { accepted: true, problemLines: 0, verdicts, cpuMs };
  } catch (error) {
    const cpuMs = cpuMsSince(before);
    if (!(error instanceof FleetError)) {
      verdicts.push({ verdict: "crash", detail: String((error as Error)?.stack ?? error) });
      return { accepted: false, problemLines: 0, verdicts, cpuMs };
    }
    for (const line of error.errors) {
      if (!POSITIONED.test(line)) verdicts.push({ verdict: "unpositioned", detail: line });
    }
    if (error.errors.length === 0) verdicts.push({ verdict: "unpositioned", detail: "(no lines)" });
    return { accepted: false, problemLines: error.errors.length, verdicts, cpuMs };
  }
}

/**
 * CPU time of trying `text`. A document over budget is tried twice more and keeps its best
 * time, so that a collection pause or a compile in the middle of it is not called a hang;
 * a loader that is really slow on some input is slow every time.
 */
function measure(text: string): Result {
  const bytes = Buffer.byteLength(text);
  const budgetMs = Math.max(FLOOR_MS, (bytes / 1e6) * 1000);
  let best: Omit<Result, "bytes"> | undefined;
  for (let attempt = 0; attempt < 3 && !(best && best.cpuMs <= budgetMs); attempt++) {
    const outcome = tryDocument(text);
    if (!best || outcome.cpuMs < best.cpuMs) best = outcome;
  }
  if (best!.cpuMs > budgetMs) {
    best!.verdicts.push({
      verdict: "hang",
      detail: `${best!.cpuMs.toFixed(0)} ms CPU for ${bytes} bytes`,
    });
  }
  return { bytes, ...best! };
}

function documents(): string[] {
  const root = path.join(__dirname, "..");
  const shipped = ["fleet/mainpc.yaml", "fleet/pc2.yaml"].map((file) =>
    readFileSync(path.join(root, file), "utf8"),
  );
  const small = fc.sample(fuzzDocument([VALID_FLEET, ...shipped]), {
    numRuns: DOCUMENTS - Math.floor(DOCUMENTS / LARGE_EVERY),
    seed: SEED,
  });
  const synthetic = syntheticFleetYaml(3000, 9000, 30);
  const large = fc.sample(mutatedFleet([synthetic]), {
    numRuns: Math.floor(DOCUMENTS / LARGE_EVERY) - 1,
    seed: SEED,
  });
  return [...small, synthetic, ...large];
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

function main(): void {
  const texts = documents();
  const results = texts.map(measure);
  const count = (verdict: Verdict) =>
    results.filter((r) => r.verdicts.some((v) => v.verdict === verdict)).length;
  const times = results.map((r) => r.cpuMs).sort((a, b) => a - b);
  const large = results.filter((r) => r.bytes >= 500_000);
  const largeAccepted = large.filter((r) => r.accepted);
  const perMb = large.map((r) => r.cpuMs / (r.bytes / 1e6)).sort((a, b) => a - b);
  const megabytes = results.reduce((sum, r) => sum + r.bytes, 0) / 1e6;
  const accepted = results.filter((r) => r.accepted).length;

  console.log(
    `fuzz: ${results.length} documents (seed ${SEED}), ${megabytes.toFixed(1)} MB in all`,
  );
  console.log(`  crashes                ${count("crash")}`);
  console.log(
    `  hangs                  ${count("hang")}   (CPU time over 1 s per MB, or ${FLOOR_MS} ms)`,
  );
  console.log(`  unpositioned problems  ${count("unpositioned")}`);
  console.log(`  wrongly accepted       ${count("wronglyAccepted")}`);
  console.log(
    `  accepted ${accepted}, rejected ${results.length - accepted} with ${results.reduce((sum, r) => sum + r.problemLines, 0)} problem lines`,
  );
  console.log(
    `  loader CPU per document: median ${percentile(times, 50).toFixed(1)} ms, p99 ${percentile(times, 99).toFixed(1)} ms, max ${times[times.length - 1].toFixed(1)} ms`,
  );
  for (const r of largeAccepted) {
    console.log(
      `  a valid fleet of ${(r.bytes / 1e6).toFixed(2)} MB: loaded in ${r.cpuMs.toFixed(0)} ms CPU`,
    );
  }
  if (perMb.length) {
    console.log(
      `  ${perMb.length} documents of ${(Math.min(...large.map((r) => r.bytes)) / 1e6).toFixed(2)}-${(Math.max(...large.map((r) => r.bytes)) / 1e6).toFixed(2)} MB: median ${percentile(perMb, 50).toFixed(0)} ms per MB, max ${perMb[perMb.length - 1].toFixed(0)} ms per MB`,
    );
  }
  const failures = results.flatMap((r, i) => r.verdicts.map((v) => ({ ...v, document: i })));
  for (const failure of failures.slice(0, 5)) {
    console.log(
      `  e.g. document ${failure.document}: ${failure.verdict}: ${failure.detail.slice(0, 300)}`,
    );
  }
  process.exitCode = failures.length ? 1 : 0;
}

main();
