import { spawn } from "node:child_process";
import { probeReportSchema, type ProbeReport, type ProbeSpec } from "../../src/health/probe-spec";

export { buildProbe } from "../support/probe";

export interface ProbeRun {
  exitCode: number | null;
  report: ProbeReport;
}

/** Runs the probe asynchronously: the servers it checks live in this test process. */
export function runProbe(
  binary: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<ProbeRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { env: { PATH: process.env["PATH"], ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("close", (exitCode) => {
      const lines = stdout.split("\n").filter((l) => l.length > 0);
      if (lines.length !== 1) {
        reject(new Error(`expected one line of output, got: ${stdout}${stderr}`));
        return;
      }
      resolve({ exitCode, report: probeReportSchema.parse(JSON.parse(lines[0] ?? "")) });
    });
  });
}

export function runProbeOnSpec(binary: string, spec: ProbeSpec): Promise<ProbeRun> {
  return runProbe(binary, ["--spec-json", JSON.stringify(spec)]);
}
