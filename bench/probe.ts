/**
 * CPU cost (user + sys) of one health probe run, against `curl -f` on the same endpoint.
 * Run: npx tsx bench/probe.ts
 *
 * Each command runs in batches from one bash loop; bash's `times` reports the CPU of the
 * children it waited for (getrusage(RUSAGE_CHILDREN), millisecond resolution), so a batch
 * average is precise where a single run would not be. The fork/exec of /bin/true is shown as
 * the floor every command pays. The server is a separate process so its CPU is not counted.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import type { ProbeSpec } from "../src/health/probe-spec";

interface Subject {
  label: string;
  command: string;
  runsPerBatch: number;
}

const BATCHES = 5;

async function main(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), "cascade-probe-bench-"));
  const probeBinary = execFileSync(join(__dirname, "../probe/build.sh"), {
    encoding: "utf8",
  }).trim();
  const nodeProbe = join(workDir, "probe.js");
  await build({
    entryPoints: [join(__dirname, "../src/health/probe-cli.ts")],
    bundle: true,
    platform: "node",
    target: "node22",
    outfile: nodeProbe,
  });

  const server = spawn(process.execPath, ["-e", SERVER_SOURCE], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const port = await firstLine(server.stdout);
    const url = `http://127.0.0.1:${port}/health`;
    const oneStage = writeSpec(workDir, "one-stage.json", {
      version: 1,
      service: "bench",
      stages: [
        { name: "api_responsive", kind: "http", targets: [url], timeout_ms: 3000, critical: true },
      ],
    });
    const fiveStages = writeSpec(workDir, "five-stages.json", {
      version: 1,
      service: "bench",
      stages: [
        {
          name: "process_started",
          kind: "process",
          targets: ["node"],
          timeout_ms: 1000,
          critical: true,
        },
        {
          name: "port_listening",
          kind: "tcp",
          targets: [`127.0.0.1:${port}`],
          timeout_ms: 1000,
          critical: true,
        },
        { name: "api_responsive", kind: "http", targets: [url], timeout_ms: 3000, critical: true },
        {
          name: "dependencies_connected",
          kind: "http",
          targets: [`${url}/db`, `${url}/redis`],
          timeout_ms: 3000,
          critical: true,
        },
        {
          name: "fully_operational",
          kind: "http",
          targets: [`${url}/ready`],
          timeout_ms: 3000,
          critical: false,
        },
      ],
    });
    const subjects: Subject[] = [
      { label: "fork+exec floor (/bin/true)", command: "/bin/true", runsPerBatch: 100 },
      { label: "curl -f", command: `curl -fsS -o /dev/null ${url}`, runsPerBatch: 30 },
      { label: "node start-up (node -e 0)", command: `${process.execPath} -e 0`, runsPerBatch: 5 },
      {
        label: "node probe, 1 stage",
        command: `${process.execPath} ${nodeProbe} ${oneStage}`,
        runsPerBatch: 5,
      },
      { label: "go probe, 1 stage", command: `${probeBinary} ${oneStage}`, runsPerBatch: 30 },
      { label: "go probe, 5 stages", command: `${probeBinary} ${fiveStages}`, runsPerBatch: 30 },
    ];
    const medians = new Map<string, number>();
    for (const subject of subjects) {
      const perRun = Array.from({ length: BATCHES }, () => batchCpuMsPerRun(subject));
      medians.set(subject.label, median(perRun));
      console.log(`${subject.label.padEnd(30)} median ${median(perRun).toFixed(2)} ms CPU/run`);
    }
    const curl = medians.get("curl -f") ?? NaN;
    for (const label of [
      "node start-up (node -e 0)",
      "node probe, 1 stage",
      "go probe, 1 stage",
      "go probe, 5 stages",
    ]) {
      console.log(`ratio ${label} / curl -f: ${((medians.get(label) ?? NaN) / curl).toFixed(2)}`);
    }
  } finally {
    server.kill();
  }
}

const SERVER_SOURCE = `
const server = require("node:http").createServer((req, res) => res.end("ok"));
server.listen(0, "127.0.0.1", () => console.log(server.address().port));`;

function batchCpuMsPerRun(subject: Subject): number {
  const script = `for ((i = 0; i < ${subject.runsPerBatch}; i++)); do ${subject.command} >/dev/null || exit 1; done; times`;
  const output = execFileSync("bash", ["-c", script], { encoding: "utf8" });
  // `times` prints the shell's own user/sys, then its children's: "0m1.234s 0m0.567s".
  const children = output.trim().split("\n").at(-1) ?? "";
  const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map(
    (m) => Number(m[1]) * 60 + Number(m[2]),
  );
  if (seconds.length !== 2) throw new Error(`unexpected output of times: ${output}`);
  return ((seconds[0] + seconds[1]) * 1000) / subject.runsPerBatch;
}

function writeSpec(dir: string, name: string, spec: ProbeSpec): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(spec));
  return path;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    stream.once("data", (chunk: Buffer) => resolve(chunk.toString().trim()));
    stream.once("error", reject);
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
