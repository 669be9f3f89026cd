/**
 * The mainpc fleet rehearsed on the local Docker engine at scale 0.05, `dependencies` then
 * `waves` ordering in one run. Prints, per ordering, the time until every agent was healthy,
 * the planner's critical-path bound with the rehearsal's own timings (`rehearsalBounds`: per
 * agent, the stand-in's ready time up to its first passing probe), their ratio against the
 * target (dependencies <= 1.10 x bound), where the gap went on the measured critical path, and
 * what waves cost relative to dependencies.
 *
 * Run: npx tsx bench/rehearse.ts [--scale 0.05] [--stack mainpc]
 * Starts dockerd (scripts/dockerd.sh) and builds the stand-in image when they are missing.
 */
import { execFileSync } from "node:child_process";
import { loadavg } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { runProgram } from "../src/rehearse/capture";
import { rehearsalBounds } from "../src/rehearse/bounds";
import type { RehearsalReport } from "../src/rehearse/report";
import { rehearse, ROOT } from "../src/rehearse/run";
import { rehearsalFleet } from "../src/rehearse/specs";

const TARGET_RATIO = 1.1;
const ORDERINGS = ["dependencies", "waves"] as const;

const s = (ms: number | undefined): string =>
  ms === undefined ? "-" : `${(ms / 1000).toFixed(2)} s`;
const load = (): string =>
  loadavg()
    .map((value) => value.toFixed(1))
    .join(" ");

/** The same critical path with the fleet's unscaled timings: what the engine overhead is measured against in production. */
async function boundAtFullScale(stack: string, ordering: string): Promise<number> {
  const run = await runProgram({
    stack,
    config: { networkMode: "host", monitoring: false, ordering },
  });
  return rehearsalBounds(rehearsalFleet(stack, run), 1).best.ms;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scale: { type: "string", default: "0.05" },
      stack: { type: "string", default: "mainpc" },
    },
  });
  const scale = Number(values.scale);
  const stack = values.stack;
  execFileSync(path.join(ROOT, "scripts", "dockerd.sh"), ["start"], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  execFileSync(path.join(ROOT, "scripts", "build-standin-image.sh"), [], {
    stdio: ["ignore", "ignore", "inherit"],
  });

  console.log(`bench/rehearse: stack ${stack}, scale ${scale}, load average before ${load()}`);
  const reports = new Map<string, RehearsalReport>();
  for (const ordering of ORDERINGS) {
    const report = await rehearse({ stack, ordering, scale, scenario: "all-healthy", keep: false });
    reports.set(ordering, report);
    const cp = report.criticalPath;
    const ratio = report.allHealthyMs === undefined ? undefined : report.allHealthyMs / cp.boundMs;
    console.log(
      `\n${ordering}: ${report.agents.length} agents, ${report.outcome}` +
        (report.failure ? ` (stopped at ${report.failure.agent}: ${report.failure.message})` : ""),
    );
    console.log(`  all healthy            ${s(report.allHealthyMs)}`);
    console.log(`  bound (critical path)  ${s(cp.boundMs)}  ${cp.boundAgents.join(" -> ")}`);
    if (ratio !== undefined) {
      const verdict =
        ordering === "dependencies"
          ? `  (target <= ${TARGET_RATIO.toFixed(2)}: ${ratio <= TARGET_RATIO ? "met" : "missed"})`
          : "";
      console.log(`  ratio                  ${ratio.toFixed(2)}${verdict}`);
    }
    console.log(
      `  measured path          ${s(cp.measured.ms)}  ${cp.measured.agents.join(" -> ")}`,
    );
    const b = cp.breakdown;
    if (b) {
      console.log(
        `  measured path, split   setup ${s(b.setupMs)}, start ${s(b.engineMs)}, ` +
          `process start -> passing probe ${s(b.probeWaitMs)} (of which late/failed probes ${s(b.lateProbesMs)}), ` +
          `probe exec ${s(b.probeExecMs)}, until seen ${s(b.pollMs)}, scheduling ${s(b.schedulingMs)}`,
      );
      const overhead =
        b.setupMs + b.engineMs + b.probeExecMs + b.pollMs + b.schedulingMs + b.lateProbesMs;
      const full = await boundAtFullScale(stack, ordering);
      console.log(
        `  engine + detection overhead on the path ${s(overhead)} over ${cp.measured.agents.length} agents` +
          ` (${s(overhead / Math.max(1, cp.measured.agents.length))} each); at scale 1 (bound ${s(full)}) the same overhead is ratio ${((full + overhead) / full).toFixed(3)}`,
      );
    }
    console.log(`  load average after     ${load()}`);
  }
  const dependencies = reports.get("dependencies")?.allHealthyMs;
  const waves = reports.get("waves")?.allHealthyMs;
  if (dependencies !== undefined && waves !== undefined) {
    const boundRatio =
      reports.get("waves")!.criticalPath.boundMs /
      reports.get("dependencies")!.criticalPath.boundMs;
    console.log(
      `\nwaves cost ${s(waves - dependencies)} more than dependencies: ${(waves / dependencies).toFixed(2)} x measured, ${boundRatio.toFixed(2)} x by the bounds`,
    );
  }
  if ([...reports.values()].some((report) => report.outcome !== "healthy")) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
