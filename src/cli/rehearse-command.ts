import { ORDERINGS, planFleet, type Ordering } from "../fleet/planner";
import { createProgress } from "../rehearse/progress";
import { renderReport, type RehearsalReport } from "../rehearse/report";
import {
  dockerClient,
  engineStatus,
  rehearse,
  RehearsalError,
  RehearsalInterrupted,
  type RehearseOptions,
} from "../rehearse/run";
import { STANDIN_IMAGE } from "../rehearse/scale";
import { SCENARIO_SUMMARY, SCENARIOS } from "../rehearse/scenarios";
import { rehearsalReportData } from "../report/from-rehearsal";
import { writeReport } from "../report/html";
import { stackFilePath } from "../stack/stack-file";
import { numberFlag, oneOf, parseCommandLine } from "./args";
import { EXIT, UsageError } from "./errors";
import { fleetInput, PROJECT_ROOT } from "./fleet-input";
import { planCommand } from "./plan-command";
import { ensureProbe } from "./probe-binary";
import { withInterrupts, type InterruptNotes } from "./signals";

export const REHEARSE_USAGE = `usage: cascade rehearse --stack NAME [--ordering waves|dependencies] [--scale 0.05]
                        [--scenario NAME] [--target AGENT] [--only A,B] [--poll-ms N] [--min-interval-ms N]
                        [--json] [--keep] [--report FILE]

Brings the stack's fleet up on the local Docker engine exactly as the Pulumi program registers
it (run under mocks), with the stand-in agent as every image, host networking, and every health
timing times --scale. Health changes are taken from Docker's health_status events (--poll-ms N:
inspect every container every N ms instead, as the provider does). Health intervals stay at or
above --min-interval-ms (default: what keeps the fleet within 4 probe execs per CPU-second, at
least 1000). Shows progress per wave on stderr, then a timeline and the critical path next to the
planner's (--json: as data on stdout). --report FILE also writes it as one HTML page that opens
offline (timeline, graph, bounds). Before it starts, containers an earlier rehearsal left (label
cascade.rehearsal) are named and removed, and the ports the stand-ins listen on must be free. It
removes what it created (label cascade.rehearsal=<run id>) unless --keep and healthy (then it
says how to remove them); Ctrl-C or SIGTERM stops it, removes what it created and exits 130.
Needs a Docker engine (scripts/dockerd.sh start) and the stand-in image
(scripts/build-standin-image.sh); builds the health probe (probe/build.sh) when it is missing.
Exit 0 when the scenario's rollout is healthy, 3 when it failed, 130 when interrupted.

scenarios (--scenario, default all-healthy; --target picks the misbehaving agent):
${SCENARIOS.map((name) => `  ${name.padEnd(22)} ${SCENARIO_SUMMARY[name]}`).join("\n")}`;

/** A rehearsal the command line asks for, and how to show it. */
interface RehearsalRequest {
  options: Omit<RehearseOptions, "onEvent" | "signal">;
  json: boolean;
  report?: string;
}

export async function rehearseCommand(argv: string[]): Promise<number> {
  const outcome = await runRehearsal(parseRehearsal(argv));
  if (outcome.blocked) console.error(`cascade rehearse: ${outcome.blocked}`);
  return outcome.code;
}

function parseRehearsal(argv: string[]): RehearsalRequest {
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
      report: { type: "string" },
    },
    REHEARSE_USAGE,
  );
  if (values.stack === undefined) throw new UsageError("--stack is required", REHEARSE_USAGE);
  return {
    options: {
      stack: values.stack,
      stackFile: values["stack-file"],
      ordering: oneOf(values.ordering, ORDERINGS, "--ordering", REHEARSE_USAGE),
      scale: numberFlag(values.scale, "--scale", { above: 0, max: 10 }, REHEARSE_USAGE)!,
      scenario: oneOf(values.scenario, SCENARIOS, "--scenario", REHEARSE_USAGE)!,
      target: values.target,
      only: values.only
        ?.split(",")
        .map((name) => name.trim())
        .filter(Boolean),
      pollMs: numberFlag(values["poll-ms"], "--poll-ms", { min: 10 }, REHEARSE_USAGE),
      minIntervalMs: numberFlag(
        values["min-interval-ms"],
        "--min-interval-ms",
        { min: 100 },
        REHEARSE_USAGE,
      ),
      keep: values.keep === true,
    },
    json: values.json === true,
    report: values.report,
  };
}

const REHEARSAL_NOTES: InterruptNotes = {
  stopping: "stopping and removing what was created",
  leftBehind: "the next rehearsal removes what is left (label cascade.rehearsal)",
};

/**
 * Runs the rehearsal with progress on stderr and the result on stdout. `blocked`: why it could
 * not start (no probe, ports in use, ...), nothing having been created.
 */
async function runRehearsal(
  request: RehearsalRequest,
): Promise<{ code: number; blocked?: string }> {
  const { options } = request;
  // A misspelled stack is named as `plan` names it.
  if (options.stackFile === undefined) stackFilePath(PROJECT_ROOT, options.stack);
  const noProbe = ensureProbe((line) => console.error(line));
  if (noProbe) return { code: EXIT.failed, blocked: noProbe };
  const progress = createProgress(process.stderr);
  return withInterrupts(async (signal) => {
    try {
      const report = await rehearse({
        ...options,
        signal,
        onEvent: (event) => progress.onEvent(event),
      });
      progress.finish();
      console.log(request.json ? JSON.stringify(report, null, 2) : renderReport(report));
      if (request.json && report.kept)
        console.error(`kept run ${report.runId}; remove it with: ${report.kept.removeWith}`);
      if (request.report) await writeRehearsalReport(request.report, report, options.stackFile);
      return { code: report.outcome === "healthy" ? EXIT.ok : EXIT.rolloutFailed };
    } catch (error) {
      progress.finish();
      if (error instanceof RehearsalInterrupted) {
        console.error(`cascade rehearse: ${error.message}`);
        return { code: EXIT.interrupted };
      }
      if (error instanceof RehearsalError) return { code: EXIT.failed, blocked: error.message };
      throw error;
    }
  }, REHEARSAL_NOTES);
}

async function writeRehearsalReport(
  file: string,
  report: RehearsalReport,
  stackFile: string | undefined,
): Promise<void> {
  const ordering = report.ordering as Ordering;
  const input = fleetInput({ stack: report.stack, stackFile, ordering }, REHEARSE_USAGE);
  const data = rehearsalReportData(report, input.fleet, planFleet(input.fleet, ordering));
  console.error(`report: ${await writeReport(file, data)}`);
}

export const DEMO_USAGE = `usage: cascade demo [--stack mainpc] [--scale 0.05]

The rehearsal of the stack when a Docker engine with the stand-in image is reachable; otherwise,
or when the rehearsal cannot start (e.g. its ports are in use), its startup plan, with a note on
what is missing. Builds the health probe when Go is here and the probe is not built.`;

/** `npm start`: rehearse the stack if it can, else print the plan and say why. */
export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(
    argv,
    { stack: { type: "string", default: "mainpc" }, scale: { type: "string", default: "0.05" } },
    DEMO_USAGE,
  );
  const status = await engineStatus(dockerClient());
  let blocked =
    status === "no-engine"
      ? "no Docker engine is reachable (start one with scripts/dockerd.sh start)"
      : status === "no-image"
        ? `the stand-in image ${STANDIN_IMAGE} is missing (build it with scripts/build-standin-image.sh)`
        : undefined;
  if (blocked === undefined) {
    const outcome = await runRehearsal(
      parseRehearsal(["--stack", values.stack, "--scale", values.scale, "--ordering", "waves"]),
    );
    if (outcome.blocked === undefined) return outcome.code;
    blocked = outcome.blocked;
  }
  console.error(`Not rehearsing: ${blocked}.\nSo this is the plan, not a rehearsal:\n`);
  return planCommand(["--stack", values.stack]);
}
