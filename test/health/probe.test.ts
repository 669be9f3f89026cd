import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProbeSpec, ProbeStage } from "../../src/health/probe-spec";
import { probeExitCode, walkStages } from "../../src/health/stage-walk";
import { closedPort, startFixtureServer, type FixtureServer } from "./fixture-server";
import { buildProbe, runProbe, runProbeOnSpec } from "./probe-binary";

const stage = (
  name: string,
  kind: ProbeStage["kind"],
  targets: string[],
  critical = true,
  timeout_ms = 1000,
): ProbeStage => ({
  name,
  kind,
  targets,
  timeout_ms,
  critical,
});
const spec = (...stages: ProbeStage[]): ProbeSpec => ({ version: 1, service: "Fixture", stages });

describe("progressive probe (Go binary and TS walker)", function () {
  this.timeout(60_000); // the first Go build of a fresh checkout
  let probe: string;
  let server: FixtureServer;
  let deadPort: number;

  before(async () => {
    probe = buildProbe();
    server = await startFixtureServer({
      "/health": { status: 200 },
      "/health/ready": { status: 503 },
      "/health/db": { status: 200 },
      "/register/test": { status: 200, method: "POST" },
      "/redirect": { status: 302 },
      "/hang": "hang",
    });
    deadPort = await closedPort();
  });
  after(() => server.close());

  /** The seed's five stages against the fixture, with fully_operational's target chosen. */
  const seedStages = (readyPath: string, readyCritical: boolean): ProbeSpec =>
    spec(
      stage("process_started", "process", ["node"]),
      stage("port_listening", "tcp", [`127.0.0.1:${server.port}`]),
      stage("api_responsive", "http", [server.url("/health")]),
      stage("dependencies_connected", "http", [server.url("/health/db"), server.url("/health")]),
      stage("fully_operational", "http", [server.url(readyPath)], readyCritical),
    );

  const fixtures = (): Record<string, ProbeSpec> => ({
    "all pass": seedStages("/health", false),
    "non-critical stage fails": seedStages("/health/ready", false),
    "critical stage fails": seedStages("/health/ready", true),
    "port closed": spec(
      stage("port_listening", "tcp", [`127.0.0.1:${deadPort}`]),
      stage("api_responsive", "http", [`http://127.0.0.1:${deadPort}/health`]),
    ),
    "one of two dependencies down": spec(
      stage("dependencies_connected", "http", [
        server.url("/health"),
        `http://127.0.0.1:${deadPort}/health`,
      ]),
    ),
    "unknown process": spec(stage("process_started", "process", ["no-such-process-xyz"])),
    "POST stage": spec({
      ...stage("registration", "http", [server.url("/register/test")]),
      method: "POST",
    }),
    "GET on a POST-only route": spec(stage("registration", "http", [server.url("/register/test")])),
    "redirect passes as with curl -f": spec(
      stage("api_responsive", "http", [server.url("/redirect")]),
    ),
    "hanging endpoint times out": spec(
      stage("api_responsive", "http", [server.url("/hang")], true, 300),
    ),
  });

  it("walks all stages and reports healthy with exit 0 when they pass", async () => {
    const { exitCode, report } = await runProbeOnSpec(probe, seedStages("/health", false));
    assert.equal(exitCode, 0);
    assert.equal(report.status, "healthy");
    assert.deepEqual(
      report.stages.map((s) => [s.name, s.status]),
      [
        ["process_started", "pass"],
        ["port_listening", "pass"],
        ["api_responsive", "pass"],
        ["dependencies_connected", "pass"],
        ["fully_operational", "pass"],
      ],
    );
  });

  it("reports degraded with exit 0 when a non-critical stage fails", async () => {
    const { exitCode, report } = await runProbeOnSpec(probe, seedStages("/health/ready", false));
    assert.equal(exitCode, 0);
    assert.equal(report.status, "degraded");
    const failed = report.stages.find((s) => s.name === "fully_operational");
    assert.equal(failed?.status, "fail");
    assert.match(failed?.error ?? "", /answered 503/);
  });

  it("reports unhealthy with exit 1 on a critical failure and skips the later stages", async () => {
    const { exitCode, report } = await runProbeOnSpec(
      probe,
      spec(
        stage("port_listening", "tcp", [`127.0.0.1:${deadPort}`]),
        stage("api_responsive", "http", [server.url("/health")]),
      ),
    );
    assert.equal(exitCode, 1);
    assert.equal(report.status, "unhealthy");
    assert.deepEqual(
      report.stages.map((s) => s.status),
      ["fail", "skipped"],
    );
  });

  it("does not call later stages' targets after a critical failure", async () => {
    const before = server.requests.length;
    await runProbeOnSpec(
      probe,
      spec(
        stage("api_responsive", "http", [server.url("/health/ready")]),
        stage("next", "http", [server.url("/health/db")]),
      ),
    );
    assert.deepEqual(server.requests.slice(before), ["GET /health/ready"]);
  });

  it("fails a stage at its timeout rather than waiting for a hanging endpoint", async () => {
    const started = Date.now();
    const { exitCode, report } = await runProbeOnSpec(
      probe,
      spec(stage("api_responsive", "http", [server.url("/hang")], true, 300)),
    );
    assert.equal(exitCode, 1);
    assert.match(report.stages[0]?.error ?? "", /timed out/);
    assert.ok(
      Date.now() - started < 2000,
      "the probe should give up after the 300 ms stage timeout",
    );
  });

  it("reads the spec from a file, from CASCADE_PROBE_SPEC, and reports a bad spec as unhealthy", async () => {
    const dir = mkdtempSync(join(tmpdir(), "probe-spec-"));
    const path = join(dir, "probe.json");
    writeFileSync(
      path,
      JSON.stringify(spec(stage("api_responsive", "http", [server.url("/health")]))),
    );
    assert.equal((await runProbe(probe, [path])).report.status, "healthy");
    assert.equal(
      (await runProbe(probe, [], { CASCADE_PROBE_SPEC: path })).report.status,
      "healthy",
    );

    writeFileSync(path, JSON.stringify({ version: 2, service: "x", stages: [] }));
    const bad = await runProbe(probe, [path]);
    assert.equal(bad.exitCode, 1);
    assert.equal(bad.report.status, "unhealthy");
    assert.match(bad.report.error ?? "", /version 2/);

    const missing = await runProbe(probe, [join(dir, "absent.json")]);
    assert.equal(missing.exitCode, 1);
    assert.match(missing.report.error ?? "", /cannot read probe spec/);
  });

  it("agrees with the TS stage walker on every fixture", async () => {
    for (const [name, fixture] of Object.entries(fixtures())) {
      const [go, ts] = await Promise.all([runProbeOnSpec(probe, fixture), walkStages(fixture)]);
      const verdict = (r: typeof ts) => ({
        status: r.status,
        stages: r.stages.map((s) => [s.name, s.critical, s.status]),
      });
      assert.deepEqual(verdict(go.report), verdict(ts), `Go and TS disagree on "${name}"`);
      assert.equal(go.exitCode, probeExitCode(ts), `exit codes differ on "${name}"`);
    }
  });

  it("judges the fixtures as curl -f would", async () => {
    const statuses = Object.fromEntries(
      await Promise.all(
        Object.entries(fixtures()).map(async ([name, f]): Promise<[string, string]> => [
          name,
          (await walkStages(f)).status,
        ]),
      ),
    );
    assert.deepEqual(statuses, {
      "all pass": "healthy",
      "non-critical stage fails": "degraded",
      "critical stage fails": "unhealthy",
      "port closed": "unhealthy",
      "one of two dependencies down": "unhealthy",
      "unknown process": "unhealthy",
      "POST stage": "healthy",
      "GET on a POST-only route": "unhealthy",
      "redirect passes as with curl -f": "healthy",
      "hanging endpoint times out": "unhealthy",
    });
  });
});
