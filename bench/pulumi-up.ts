/**
 * `pulumi up` of the local MainPC stack (Pulumi.local-mainpc.yaml) with the real engine and the Docker
 * provider built here, against the planner's best-case bound and against `cascade rehearse` of the same
 * fleet on the same engine at the same (unscaled) timings, as ratios from one run. Then `pulumi destroy`.
 *
 * Run: npx tsx bench/pulumi-up.ts [--stack local-mainpc] [--runs 1]
 * Needs the engine (scripts/build-engine.sh build pulumi pulumi-docker), dockerd (scripts/dockerd.sh
 * start) and the stand-in image (scripts/build-standin-image.sh); the stand-in images of the stack are
 * tagged here. Medians over --runs.
 */
import { execFileSync } from "node:child_process";
import { loadavg } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadFleet } from "../src/fleet/loader";
import { planFleet } from "../src/fleet/planner";
import { rehearse } from "../src/rehearse/run";
import { fleetStackContext } from "../src/stack/settings";
import { readStackFile } from "../src/stack/stack-file";
import { engineEnv, missingEngine, ok, ROOT } from "../test/support/engine";
import { scratchProject } from "../test/support/scratch-project";

const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const load = (): string =>
  loadavg()
    .map((value) => value.toFixed(1))
    .join(" ");
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stack: { type: "string", default: "local-mainpc" },
      runs: { type: "string", default: "1" },
    },
  });
  const stack = values.stack;
  const runs = Number(values.runs);
  const missing = missingEngine(["pulumi", "pulumi-docker"]);
  if (missing) throw new Error(`the real engine is not built: ${missing}`);
  for (const script of ["dockerd.sh start", "build-standin-image.sh"]) {
    const [name, ...args] = script.split(" ");
    execFileSync(path.join(ROOT, "scripts", name), args, {
      stdio: ["ignore", "ignore", "inherit"],
    });
  }
  execFileSync(
    process.execPath,
    ["--import", "tsx", path.join(ROOT, "scripts/standin-images.ts"), "--stack", stack],
    { stdio: ["ignore", "ignore", "inherit"] },
  );

  const file = readStackFile(ROOT, stack);
  const fleet = loadFleet(
    path.join(ROOT, file.settings.fleet),
    fleetStackContext(stack, file.settings),
  );
  const plan = planFleet(fleet, file.settings.ordering);
  const boundMs = 1000 * Math.max(...plan.agents.map((agent) => agent.earliestReadySeconds));
  console.log(
    `bench/pulumi-up: stack ${stack}, ${fleet.agents.length} agents, ordering ${plan.ordering}, ${runs} run(s), load average before ${load()}`,
  );

  const project = await scratchProject([stack], engineEnv());
  const ups: number[] = [];
  const rehearsals: number[] = [];
  try {
    for (let run = 1; run <= runs; run++) {
      const report = await rehearse({
        stack,
        ordering: plan.ordering,
        scale: 1,
        scenario: "all-healthy",
        keep: false,
      });
      if (report.allHealthyMs === undefined)
        throw new Error(`the rehearsal failed: ${report.outcome}`);
      rehearsals.push(report.allHealthyMs);

      const started = performance.now();
      ok(await project.pulumi(["up", "--yes", "--skip-preview", "--stack", stack]), "pulumi up");
      ups.push(performance.now() - started);
      ok(
        await project.pulumi(["destroy", "--yes", "--skip-preview", "--stack", stack]),
        "pulumi destroy",
      );
      console.log(
        `  run ${run}: pulumi up ${s(ups.at(-1)!)}, rehearse ${s(rehearsals.at(-1)!)}, load average ${load()}`,
      );
    }
  } finally {
    project.remove();
  }
  const up = median(ups);
  const rehearsal = median(rehearsals);
  console.log(
    `\nplanner best-case bound   ${s(boundMs)}  (every agent healthy at its first probe)`,
  );
  console.log(
    `cascade rehearse          ${s(rehearsal)}  ${(rehearsal / boundMs).toFixed(2)} x bound`,
  );
  console.log(
    `pulumi up (real engine)   ${s(up)}  ${(up / boundMs).toFixed(2)} x bound, ${(up / rehearsal).toFixed(2)} x rehearse`,
  );
  console.log(`load average after ${load()}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
