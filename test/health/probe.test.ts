import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
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
  extra: Partial<ProbeStage> = {},
): ProbeStage => ({
  name,
  kind,
  targets,
  timeout_ms,
  critical,
  ...extra,
});
/** Ten minutes: far from any test's uptime, either way. */
const LATE = { deadline_ms: 600_000 };
const spec = (...stages: ProbeStage[]): ProbeSpec => ({ version: 1, service: "Fixture", stages });

describe("progressive probe (Go binary and TS walker)", function () {
  this.timeout(60_000); // the first Go build of a fresh checkout
  let probe: string;
  let server: FixtureServer;
  let deadPort: number;
  /** A process started by the test: the probe's "container start" (CASCADE_PROBE_START_PID). */
  let young: ChildProcess;
  let youngStartedAt: number;

  before(async () => {
    probe = buildProbe();
    youngStartedAt = Date.now();
    young = spawn("sleep", ["600"], { stdio: "ignore" });
    server = await startFixtureServer({
      "/health": { status: 200, body: '{"status": "healthy"}' },
      "/degraded": { status: 200, body: '{"status": "degraded"}' },
      "/health/ready": { status: 503 },
      "/health/db": { status: 200 },
      "/register/test": { status: 200, method: "POST" },
      "/redirect": { status: 302 },
      "/hang": "hang",
    });
    deadPort = await closedPort();
  });
  after(async () => {
    young.kill();
    await server.close();
  });

  /** The probe started as if its container's PID 1 were `young`. */
  const runYoung = (fixture: ProbeSpec, env: NodeJS.ProcessEnv = {}) =>
    runProbe(probe, ["--spec-json", JSON.stringify(fixture)], {
      CASCADE_PROBE_START_PID: String(young.pid),
      ...env,
    });

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
    "the container's main process": spec(stage("process_started", "process", ["pid:1"])),
    "health endpoint reports healthy": spec(
      stage("fully_operational", "health", [server.url("/health")], false),
    ),
    "health endpoint reports degraded": spec(
      stage("api_responsive", "http", [server.url("/degraded")]),
      stage("fully_operational", "health", [server.url("/degraded")], false),
    ),
    "critical stage fails before its deadline": spec(
      stage("api_responsive", "http", [server.url("/health/ready")], true, 1000, LATE),
      stage("fully_operational", "health", [server.url("/health")], false),
    ),
    "non-critical stage fails before its deadline": spec(
      stage("api_responsive", "http", [server.url("/health")]),
      stage("fully_operational", "health", [server.url("/degraded")], false, 1000, LATE),
    ),
    "critical stage fails past its deadline": spec(
      stage("api_responsive", "http", [server.url("/health/ready")], true, 1000, {
        deadline_ms: 0,
      }),
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
      const [go, ts] = await Promise.all([
        runYoung(fixture),
        walkStages(fixture, { uptimeMs: Date.now() - youngStartedAt }),
      ]);
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
          (await walkStages(f, { uptimeMs: 1000 })).status,
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
      "the container's main process": "healthy",
      "health endpoint reports healthy": "healthy",
      "health endpoint reports degraded": "degraded",
      "critical stage fails before its deadline": "starting",
      "non-critical stage fails before its deadline": "degraded",
      "critical stage fails past its deadline": "unhealthy",
    });
  });

  it("counts deadlines from the start of the container's PID 1 (here: a process just started)", async () => {
    const fixture = spec(
      stage("api_responsive", "http", [server.url("/health/ready")], true, 1000, LATE),
      stage("fully_operational", "health", [server.url("/health")], false),
    );
    const young = await runYoung(fixture);
    assert.equal(young.exitCode, 1);
    assert.equal(young.report.status, "starting");
    assert.deepEqual(
      young.report.stages.map((s) => s.status),
      ["pending", "skipped"],
    );
    const uptime = young.report.uptime_ms ?? -1;
    assert.ok(uptime >= 0 && uptime <= Date.now() - youngStartedAt + 50, `uptime ${uptime} ms`);
    // By default the clock is PID 1's (this machine's init here): the verdict follows its uptime.
    const old = await runProbeOnSpec(probe, fixture);
    const expected =
      (old.report.uptime_ms ?? Infinity) < LATE.deadline_ms ? "starting" : "unhealthy";
    assert.equal(old.report.status, expected);
  });

  it("keeps a stage's pass for its interval between runs, in CASCADE_PROBE_STATE", async () => {
    const state = join(mkdtempSync(join(tmpdir(), "probe-state-")), "state.json");
    server.routes.set("/models", { status: 200 });
    const fixture = spec(
      stage("models_loaded", "http", [server.url("/models")], true, 1000, { interval_ms: 400 }),
    );
    const run = () => runYoung(fixture, { CASCADE_PROBE_STATE: state });
    const first = await run();
    assert.equal(first.report.stages[0]?.status, "pass");
    assert.equal(first.report.stages[0]?.cached, undefined);

    server.routes.set("/models", { status: 503 });
    const before = server.requests.length;
    const second = await run();
    assert.equal(second.report.status, "healthy", "a pass younger than the interval stands");
    assert.equal(second.report.stages[0]?.cached, true);
    assert.equal(server.requests.length, before, "and the endpoint is not called");

    await new Promise((resolve) => setTimeout(resolve, 450));
    const third = await run();
    assert.equal(third.report.stages[0]?.status, "fail", "checked again once the interval is over");
  });
});
