import { readFileSync } from "node:fs";
import {
  PROBE_SPEC_CONTAINER_PATH,
  probeSpecSchema,
  type ProbeReport,
  type ProbeSpec,
} from "./probe-spec";
import { probeExitCode, walkStages } from "./stage-walk";

/**
 * The probe in Node, with the same command line as probe/ (`[SPEC_PATH] | --spec-json JSON`).
 * Containers run the Go binary (no Node in the agents' images, and a tenth of the CPU); this
 * one is for hosts that have Node, and is what bench/probe.ts measures as "plain Node".
 */
async function main(args: string[]): Promise<number> {
  let report: ProbeReport;
  try {
    report = await walkStages(loadSpec(args));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    report = { service: "", status: "unhealthy", error: message, stages: [] };
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
  return probeExitCode(report);
}

function loadSpec(args: string[]): ProbeSpec {
  const [first, second] = args;
  const text =
    first === "--spec-json" && second !== undefined
      ? second
      : readFileSync(
          first ?? process.env["CASCADE_PROBE_SPEC"] ?? PROBE_SPEC_CONTAINER_PATH,
          "utf8",
        );
  return probeSpecSchema.parse(JSON.parse(text));
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
