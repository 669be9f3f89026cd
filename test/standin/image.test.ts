import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { probeReportSchema, type ProbeSpec } from "../../src/health/probe-spec";
import { closedPort } from "../health/fixture-server";

const exec = promisify(execFile);
const ROOT = join(__dirname, "../..");

/** The stand-in image under a real dockerd, judged by its own HEALTHCHECK (the Go probe). */
describe("stand-in image under dockerd", function () {
  this.timeout(180_000);
  const containers: string[] = [];

  before(async function () {
    try {
      await exec(join(ROOT, "scripts/dockerd.sh"), ["start"]);
    } catch (error) {
      if ((error as { code?: number }).code === 3) {
        console.log("    skipped: docker.io is not installed (apt-get install -y docker.io)");
        this.skip();
      }
      throw error;
    }
    await exec(join(ROOT, "scripts/build-standin-image.sh"), { maxBuffer: 1 << 20 });
  });

  after(async () => {
    if (containers.length > 0)
      await exec("docker", ["rm", "-f", ...containers]).catch(() => undefined);
  });

  async function runStandin(name: string, env: Record<string, string>): Promise<string> {
    const port = await closedPort();
    const url = (path: string) => `http://127.0.0.1:${port}${path}`;
    const spec: ProbeSpec = {
      version: 1,
      service: name,
      stages: [
        {
          name: "process_started",
          kind: "process",
          targets: ["node"],
          timeout_ms: 500,
          critical: true,
        },
        {
          name: "port_listening",
          kind: "tcp",
          targets: [`127.0.0.1:${port}`],
          timeout_ms: 500,
          critical: true,
        },
        {
          name: "api_responsive",
          kind: "http",
          targets: [url("/health")],
          timeout_ms: 1500,
          critical: true,
        },
        {
          name: "fully_operational",
          kind: "http",
          targets: [url("/health/ready")],
          timeout_ms: 1500,
          critical: false,
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
      "2s",
      ...envArgs,
      "cascade/standin:dev",
    ]);
    return container;
  }

  async function healthOf(
    container: string,
  ): Promise<{ Status: string; Log: { ExitCode: number; Output: string }[] }> {
    const { stdout } = await exec("docker", [
      "inspect",
      "--format",
      "{{json .State.Health}}",
      container,
    ]);
    return JSON.parse(stdout) as { Status: string; Log: { ExitCode: number; Output: string }[] };
  }

  async function waitForHealth(
    container: string,
    wanted: string,
  ): Promise<Awaited<ReturnType<typeof healthOf>>> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const health = await healthOf(container);
      if (health.Status === wanted) return health;
      if (Date.now() > deadline)
        throw new Error(`${container} is ${health.Status}: ${JSON.stringify(health.Log.at(-1))}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
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
});
