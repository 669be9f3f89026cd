import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { probeReportSchema, type ProbeSpec } from "../../src/health/probe-spec";
import { closedPort } from "../health/fixture-server";
import { skipOrFail } from "../support/engine";

const exec = promisify(execFile);
const ROOT = join(__dirname, "../..");

/** The stand-in image under a real dockerd, judged by its own HEALTHCHECK (the Go probe). */
describe("stand-in image under dockerd", function () {
  this.timeout(180_000);
  const containers: string[] = [];
  /** The id the build printed: other worktrees may retag cascade/standin:dev on a shared engine. */
  let image = "";

  before(async function () {
    try {
      await exec(join(ROOT, "scripts/dockerd.sh"), ["start"]);
    } catch (error) {
      if ((error as { code?: number }).code === 3) {
        return skipOrFail(
          this,
          "docker.io is not installed (apt-get install -y docker.io)",
          "system",
        );
      }
      throw error;
    }
    const built = await exec(join(ROOT, "scripts/build-standin-image.sh"), { maxBuffer: 1 << 20 });
    image = built.stdout.trim().split("\n").at(-1) ?? "";
  });

  after(async () => {
    if (containers.length > 0)
      await exec("docker", ["rm", "-f", ...containers]).catch(() => undefined);
  });

  /** Health timing of the test containers: Docker counts failures after the start period. */
  const START_PERIOD_MS = 3000;
  /**
   * The probe counts from PID 1's creation, which comes before the start Docker records (runc
   * creates the process, then Docker marks it started): seconds at most, however loaded the host.
   * Counting from anything else (the probe's own start, the boot) is off by far more.
   */
  const START_RECORD_LAG_MS = 2500;
  /** /proc/uptime and a process's start time are in 10 ms ticks. */
  const TICK_MS = 20;

  async function runStandin(name: string, env: Record<string, string>): Promise<string> {
    const port = await closedPort();
    const url = (path: string) => `http://127.0.0.1:${port}${path}`;
    // As the Docker target writes it (src/docker/probe-stages.ts): critical deadlines end with
    // the start period.
    const spec: ProbeSpec = {
      version: 1,
      service: name,
      stages: [
        {
          name: "process_started",
          kind: "process",
          targets: ["pid:1"],
          timeout_ms: 250,
          critical: true,
          deadline_ms: START_PERIOD_MS,
        },
        {
          name: "port_listening",
          kind: "tcp",
          targets: [`127.0.0.1:${port}`],
          timeout_ms: 250,
          critical: true,
          deadline_ms: START_PERIOD_MS,
        },
        {
          name: "api_responsive",
          kind: "http",
          targets: [url("/health")],
          timeout_ms: 1500,
          critical: true,
          deadline_ms: START_PERIOD_MS,
        },
        {
          name: "fully_operational",
          kind: "health",
          targets: [url("/health")],
          timeout_ms: 1500,
          critical: false,
          deadline_ms: 120_000,
        },
      ],
    };
    const specFile = join(mkdtempSync(join(tmpdir(), "standin-image-")), "probe.json");
    writeFileSync(specFile, JSON.stringify(spec));
    const container = `cascade-standin-test-${process.pid}-${name}`;
    containers.push(container);
    const envArgs = Object.entries({ CASCADE_SERVICE_PORT: String(port), ...env }).flatMap(
      ([k, v]) => ["-e", `${k}=${v}`],
    );
    await exec("docker", [
      "run",
      "-d",
      "--name",
      container,
      "--network",
      "host",
      "-v",
      `${specFile}:/etc/cascade/probe.json:ro`,
      "--health-interval",
      "1s",
      "--health-retries",
      "2",
      "--health-start-period",
      `${START_PERIOD_MS}ms`,
      ...envArgs,
      image,
    ]);
    return container;
  }

  interface HealthLogEntry {
    Start: string;
    End: string;
    ExitCode: number;
    Output: string;
  }
  interface Health {
    Status: string;
    Log: HealthLogEntry[];
  }
  /** Every probe run Docker logged while we looked (it keeps only the last five). */
  const seenRuns = new Map<string, Map<string, HealthLogEntry>>();

  async function healthOf(container: string): Promise<Health> {
    const { stdout } = await exec("docker", [
      "inspect",
      "--format",
      "{{json .State.Health}}",
      container,
    ]);
    const health = JSON.parse(stdout) as Health;
    const runs = seenRuns.get(container) ?? new Map<string, HealthLogEntry>();
    for (const entry of health.Log) runs.set(entry.Start, entry);
    seenRuns.set(container, runs);
    return health;
  }

  async function waitForHealth(container: string, wanted: string): Promise<Health> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const health = await healthOf(container);
      if (health.Status === wanted) return health;
      if (Date.now() > deadline)
        throw new Error(`${container} is ${health.Status}: ${JSON.stringify(health.Log.at(-1))}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it("reports healthy when the stand-in starts, and unhealthy when it never does", async () => {
    const [good, stuck] = await Promise.all([
      runStandin("good", { CASCADE_STARTUP_DELAY_MS: "1000", CASCADE_SERVICE: "good" }),
      runStandin("stuck", { CASCADE_NEVER_READY: "1" }),
    ]);
    const [goodHealth, stuckHealth] = await Promise.all([
      waitForHealth(good, "healthy"),
      waitForHealth(stuck, "unhealthy"),
    ]);

    const goodReport = probeReportSchema.parse(JSON.parse(goodHealth.Log.at(-1)?.Output ?? ""));
    assert.equal(goodReport.status, "healthy");
    assert.ok(goodReport.stages.every((s) => s.status === "pass"));

    const stuckLast = stuckHealth.Log.at(-1);
    assert.equal(stuckLast?.ExitCode, 1);
    const stuckReport = probeReportSchema.parse(JSON.parse(stuckLast?.Output ?? ""));
    assert.deepEqual(
      stuckReport.stages.map((s) => [s.name, s.status]),
      [
        ["process_started", "pass"],
        ["port_listening", "pass"],
        ["api_responsive", "fail"],
        ["fully_operational", "skipped"],
      ],
    );
  });

  it("counts stage deadlines from the container's start: starting before, unhealthy after", async () => {
    const stuck = await runStandin("late", { CASCADE_NEVER_READY: "1" });
    await waitForHealth(stuck, "unhealthy");
    const { stdout } = await exec("docker", ["inspect", "--format", "{{.State.StartedAt}}", stuck]);
    const startedAt = Date.parse(stdout.trim());
    const runs = [...seenRuns.get(stuck)!.values()].map((entry) => ({
      sinceStart: Date.parse(entry.Start) - startedAt,
      sinceEnd: Date.parse(entry.End) - startedAt,
      exitCode: entry.ExitCode,
      report: probeReportSchema.parse(JSON.parse(entry.Output)),
    }));
    const api = (r: (typeof runs)[number]) =>
      r.report.stages.find((s) => s.name === "api_responsive")?.status;
    for (const run of runs) {
      // The probe's clock is the container's PID 1: it agrees with Docker's start time, so the
      // uptime it reports falls inside the run Docker logged (however late a loaded host execs it).
      const uptime = run.report.uptime_ms ?? -1;
      assert.ok(
        uptime >= run.sinceStart - TICK_MS && uptime <= run.sinceEnd + START_RECORD_LAG_MS,
        `uptime ${uptime} ms, run from ${run.sinceStart} to ${run.sinceEnd} ms`,
      );
      assert.equal(run.exitCode, 1);
      const [status, stage] =
        uptime < START_PERIOD_MS ? ["starting", "pending"] : ["unhealthy", "fail"];
      assert.equal(run.report.status, status, `at ${uptime} ms`);
      assert.equal(api(run), stage, `at ${uptime} ms`);
    }
    assert.ok(
      runs.some((r) => r.report.status === "starting"),
      "a run before the deadline",
    );
    assert.ok(
      runs.some((r) => r.report.status === "unhealthy"),
      "a run after it",
    );
  });
});
