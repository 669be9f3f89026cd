import { ORDERINGS } from "../fleet/planner";
import { createProgress } from "../rehearse/progress";
import { renderReport } from "../rehearse/report";
import { dockerClient, engineStatus, rehearse, RehearsalError } from "../rehearse/run";
import { SCENARIO_SUMMARY, SCENARIOS } from "../rehearse/scenarios";
import { oneOf, parseCommandLine } from "./args";
import { EXIT, UsageError } from "./errors";
import { planCommand } from "./plan-command";

export const REHEARSE_USAGE = `usage: cascade rehearse --stack NAME [--ordering waves|dependencies] [--scale 0.05]
                        [--scenario NAME] [--target AGENT] [--only A,B] [--poll-ms N] [--min-interval-ms N]
                        [--json] [--keep]

Brings the stack's fleet up on the local Docker engine exactly as the Pulumi program registers
it (run under mocks), with the stand-in agent as every image, host networking, and every health
timing times --scale. Health intervals stay at or above --min-interval-ms (default: what keeps
the fleet within 4 probe execs per CPU-second, at least 1000). Shows progress per wave, then a
timeline and the critical path next to the planner's. Removes what it created (label
cascade.rehearsal=<run id>) unless --keep and healthy.
Needs a Docker engine (scripts/dockerd.sh start) and the stand-in image
(scripts/build-standin-image.sh). Exit 0 when the scenario's rollout is healthy, 3 when it failed.

scenarios (--scenario, default all-healthy; --target picks the misbehaving agent):
${SCENARIOS.map((name) => `  ${name.padEnd(22)} ${SCENARIO_SUMMARY[name]}`).join("\n")}`;

export const EXIT_ROLLOUT_FAILED = 3;

export async function rehearseCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(
    argv,
    {
      stack: { type: "string" },
      "stack-file": { type: "string" },
      ordering: { type: "string" },
      scale: { type: "string", default: "0.05" },
      scenario: { type: "string", default: "all-healthy" },
      target: { type: "string" },
      only: { type: "string" },
      "poll-ms": { type: "string" },
      "min-interval-ms": { type: "string" },
      json: { type: "boolean" },
      keep: { type: "boolean" },
    },
    REHEARSE_USAGE,
  );
  if (values.stack === undefined) throw new UsageError("--stack is required", REHEARSE_USAGE);
  const scale = Number(values.scale);
  if (!(scale > 0 && scale <= 10))
    throw new UsageError(
      `--scale must be a number in (0, 10], not "${values.scale}"`,
      REHEARSE_USAGE,
    );
  const pollMs = values["poll-ms"] === undefined ? undefined : Number(values["poll-ms"]);
  if (pollMs !== undefined && !(pollMs >= 10))
    throw new UsageError("--poll-ms must be at least 10", REHEARSE_USAGE);
  const minIntervalMs =
    values["min-interval-ms"] === undefined ? undefined : Number(values["min-interval-ms"]);
  if (minIntervalMs !== undefined && !(minIntervalMs >= 100))
    throw new UsageError("--min-interval-ms must be at least 100", REHEARSE_USAGE);
  const scenario = oneOf(values.scenario, SCENARIOS, "--scenario", REHEARSE_USAGE)!;
  const progress = createProgress(process.stderr, values.json === true && !process.stderr.isTTY);
  try {
    const report = await rehearse({
      stack: values.stack,
      stackFile: values["stack-file"],
      ordering: oneOf(values.ordering, ORDERINGS, "--ordering", REHEARSE_USAGE),
      scale,
      scenario,
      target: values.target,
      only: values.only
        ?.split(",")
        .map((name) => name.trim())
        .filter(Boolean),
      pollMs,
      minIntervalMs,
      keep: values.keep === true,
      onEvent: (event) => progress.onEvent(event),
      handleSigint: true,
    });
    progress.finish();
    console.log(values.json ? JSON.stringify(report, null, 2) : renderReport(report));
    return report.outcome === "healthy" ? EXIT.ok : EXIT_ROLLOUT_FAILED;
  } catch (error) {
    progress.finish();
    if (error instanceof RehearsalError) {
      console.error(`cascade rehearse: ${error.message}`);
      return error.message.startsWith("interrupted") ? 130 : EXIT.invalidInput;
    }
    throw error;
  }
}

export const DEMO_USAGE = `usage: cascade demo [--stack mainpc] [--scale 0.05]

The rehearsal of the stack when a Docker engine with the stand-in image is reachable; otherwise
its startup plan, with a note on what is missing.`;

/** `npm start`: rehearse mainpc if an engine is reachable, else print the plan. */
export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(
    argv,
    { stack: { type: "string", default: "mainpc" }, scale: { type: "string", default: "0.05" } },
    DEMO_USAGE,
  );
  const status = await engineStatus(dockerClient());
  if (status === "ready")
    return rehearseCommand([
      "--stack",
      values.stack,
      "--scale",
      values.scale,
      "--ordering",
      "waves",
    ]);
  console.error(
    status === "no-engine"
      ? "No Docker engine is reachable (start one with scripts/dockerd.sh start), so this is the plan, not a rehearsal:\n"
      : "The stand-in image cascade/standin:dev is missing (build it with scripts/build-standin-image.sh), so this is the plan, not a rehearsal:\n",
  );
  return planCommand(["--stack", values.stack]);
}
