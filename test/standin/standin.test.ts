import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HealthResponse } from "../../src/health/response";
import { parseStandinConfig } from "../../src/standin/config";
import { startStandin, type RunningStandin } from "../../src/standin/server";
import { closedPort, startFixtureServer, type FixtureServer } from "../health/fixture-server";

const running: RunningStandin[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

async function standin(
  env: Record<string, string> = {},
  startedAt = Date.now(),
): Promise<{ url: (path: string) => string; standin: RunningStandin }> {
  const started = await startStandin(
    parseStandinConfig({ CASCADE_SERVICE_PORT: "0", ...env }),
    () => undefined,
    startedAt,
  );
  running.push(started);
  return { standin: started, url: (path) => `http://127.0.0.1:${started.ports[0]}${path}` };
}

const statusOf = async (url: string, init?: RequestInit): Promise<number> =>
  (await fetch(url, init)).status;
const healthOf = async (url: string): Promise<HealthResponse> =>
  (await (await fetch(url)).json()) as HealthResponse;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(20);
  }
}

function modelConfigFile(config: object): string {
  const path = join(mkdtempSync(join(tmpdir(), "standin-models-")), "models.json");
  writeFileSync(path, JSON.stringify(config));
  return path;
}

describe("stand-in agent", () => {
  it("goes through startup, model loading and ready with the configured delays", async () => {
    const models = modelConfigFile({
      preload: ["phi-2", "phi-3"],
      on_demand: [],
      max_models_in_memory: 2,
      eviction_policy: "lru",
      idle_timeout_seconds: 60,
    });
    const startedAt = Date.now();
    const { url } = await standin({
      CASCADE_STARTUP_DELAY_MS: "300",
      CASCADE_MODEL_CONFIG: models,
      CASCADE_MODEL_LOAD_MS: "150",
    });
    assert.deepEqual(
      await Promise.all(
        ["/health", "/health/startup", "/health/models", "/health/ready"].map((p) =>
          statusOf(url(p)),
        ),
      ),
      [503, 503, 503, 503],
    );
    await waitFor(async () => (await statusOf(url("/health/startup"))) === 200);
    const startupSeen = Date.now() - startedAt;
    assert.ok(startupSeen >= 290 && startupSeen < 600, `startup after ${startupSeen} ms`);
    const loading = await healthOf(url("/health"));
    assert.equal(loading.status, "unhealthy", "not serving before its preload models are loaded");
    assert.deepEqual(loading.checks.stages?.["models_loaded"], {
      status: "unhealthy",
      critical: true,
      error: "loading preload models",
    });
    assert.equal(await statusOf(url("/health/models")), 503);

    await waitFor(async () => (await statusOf(url("/health/ready"))) === 200);
    const readySeen = Date.now() - startedAt;
    assert.ok(
      readySeen >= 590 && readySeen < 1000,
      `ready after ${readySeen} ms (300 + 2 × 150 expected)`,
    );
    assert.equal(await statusOf(url("/health/models")), 200);
    assert.equal((await healthOf(url("/health"))).status, "healthy");
  });

  it("loads on-demand models on first request and evicts the least recently used", async () => {
    const models = modelConfigFile({
      preload: ["phi-2"],
      on_demand: ["whisper", "xtts"],
      max_models_in_memory: 2,
      eviction_policy: "lru",
      idle_timeout_seconds: 60,
    });
    const { url } = await standin({ CASCADE_MODEL_CONFIG: models });
    await waitFor(async () => (await statusOf(url("/health/models"))) === 200);
    assert.equal(await statusOf(url("/models/whisper/load"), { method: "POST" }), 200);
    const infer = (await (await fetch(url("/infer?model=xtts"))).json()) as { loaded: string[] };
    assert.deepEqual(infer.loaded, ["phi-2", "xtts"], "whisper went, phi-2 (preload) stays");
    assert.equal(await statusOf(url("/health/models")), 200);
    assert.equal(await statusOf(url("/infer?model=unknown")), 404);
  });

  it("stays ready through idle sweeps: the idle timeout never unloads a preload model", async () => {
    const models = modelConfigFile({
      preload: ["phi-2"],
      on_demand: ["whisper"],
      max_models_in_memory: 3,
      eviction_policy: "lru",
      idle_timeout_seconds: 0.1, // swept every 50 ms
    });
    const { url, standin: running } = await standin({ CASCADE_MODEL_CONFIG: models });
    await waitFor(async () => (await statusOf(url("/health/ready"))) === 200);
    assert.equal(await statusOf(url("/models/whisper/load"), { method: "POST" }), 200);
    await sleep(400);
    assert.deepEqual(running.agent.models.loadedModels(), ["phi-2"], "idle whisper unloaded");
    assert.equal(await statusOf(url("/health/models")), 200);
    assert.equal(await statusOf(url("/health/ready")), 200);
  });

  it("serves the seed's sub-checks and registration, failing those it is told to", async () => {
    const { url } = await standin({ CASCADE_FAILING_CHECKS: "redis" });
    await waitFor(async () => (await statusOf(url("/health/startup"))) === 200);
    assert.deepEqual(
      await Promise.all(
        ["/health/db", "/health/redis", "/health/registry", "/health/nothing"].map((p) =>
          statusOf(url(p)),
        ),
      ),
      [200, 503, 200, 404],
    );
    assert.equal(await statusOf(url("/register/test"), { method: "POST" }), 200);
    assert.equal(await statusOf(url("/register/test")), 404);
  });

  describe("startup metric (seed §6.1 startup_time_seconds)", () => {
    const startupGauge = async (url: (path: string) => string): Promise<number> => {
      const text = await (await fetch(url("/metrics"))).text();
      const line =
        /^cascade_startup_duration_seconds\{service="Stuck",group="ai_engine",wave="2"\} (\S+)$/m.exec(
          text,
        );
      assert.ok(line, `no startup gauge in:\n${text}`);
      return Number(line[1]);
    };
    const labels = { CASCADE_SERVICE: "Stuck", CASCADE_GROUP: "ai_engine", CASCADE_WAVE: "2" };

    it("reports the seconds so far while the agent is still starting", async () => {
      // Started 400 s ago and never ready: what Prometheus scrapes from an agent stuck in startup.
      const { url } = await standin({ ...labels, CASCADE_NEVER_READY: "1" }, Date.now() - 400_000);
      const first = await startupGauge(url);
      assert.ok(first >= 400 && first < 410, `${first}`);
      await sleep(300);
      assert.ok((await startupGauge(url)) >= first + 0.25, "it keeps growing");
    });

    it("freezes at the startup time once the agent serves", async () => {
      const { url } = await standin({ ...labels, CASCADE_STARTUP_DELAY_MS: "200" });
      await waitFor(async () => (await statusOf(url("/health/ready"))) === 200);
      const startup = await startupGauge(url);
      assert.ok(startup >= 0.19 && startup < 0.5, `${startup}`);
      await sleep(300);
      assert.equal(await startupGauge(url), startup);
    });
  });

  describe("dependencies, through the circuit breaker", () => {
    let dependency: FixtureServer;
    beforeEach(async () => (dependency = await startFixtureServer({ "/health": { status: 200 } })));
    afterEach(() => dependency.close());

    it("is unhealthy while a critical dependency is down and healthy again when it is back", async () => {
      const { url } = await standin({
        CASCADE_DEPENDENCIES: JSON.stringify([
          { name: "ServiceRegistry", url: dependency.url("/health") },
        ]),
        CASCADE_DEPENDENCY_INTERVAL_MS: "30",
        CASCADE_BREAKER_FAILURE_THRESHOLD: "2",
        CASCADE_BREAKER_TIMEOUT_MS: "200",
      });
      await waitFor(async () => (await statusOf(url("/health/ready"))) === 200);
      dependency.routes.set("/health", { status: 503 });
      await waitFor(async () => (await statusOf(url("/health"))) === 503);
      const health = await healthOf(url("/health"));
      assert.equal(health.checks.dependencies?.["ServiceRegistry"]?.status, "unhealthy");
      assert.equal(await statusOf(url("/health/ready")), 503);

      // With the circuit open the dependency is not called for 200 ms.
      await waitFor(
        async () =>
          (await healthOf(url("/health"))).checks.dependencies?.["ServiceRegistry"]?.error ===
          "circuit breaker is open",
      );
      const callsWhileOpen = dependency.requests.length;
      await sleep(100);
      assert.ok(
        dependency.requests.length - callsWhileOpen <= 1,
        "an open circuit keeps the dependency quiet",
      );

      dependency.routes.set("/health", { status: 200 });
      await waitFor(async () => (await statusOf(url("/health"))) === 200, 2000);
      const metrics = await (await fetch(url("/metrics"))).text();
      const failures =
        /^cascade_dependency_check_failures_total\{service="standin",dependency="ServiceRegistry"\} (\d+)$/m.exec(
          metrics,
        );
      assert.ok(Number(failures?.[1]) >= 2, metrics);
      assert.match(
        metrics,
        /^cascade_dependency_check_consecutive_failures\{service="standin",dependency="ServiceRegistry"\} 0$/m,
      );
    });

    it("is degraded, not unhealthy, when a non-critical dependency is down", async () => {
      const dead = await closedPort();
      const { url } = await standin({
        CASCADE_DEPENDENCIES: JSON.stringify([
          { name: "ServiceRegistry", url: dependency.url("/health") },
          { name: "ObservabilityHub", url: `http://127.0.0.1:${dead}/health`, critical: false },
        ]),
        CASCADE_DEPENDENCY_INTERVAL_MS: "30",
      });
      await waitFor(async () => (await statusOf(url("/health/ready"))) === 200);
      const response = await fetch(url("/health"));
      assert.equal(response.status, 200);
      assert.equal(((await response.json()) as HealthResponse).status, "degraded");
    });
  });

  describe("misbehaviours", () => {
    it("CASCADE_NEVER_READY: answers, but never completes startup", async () => {
      const { url } = await standin({ CASCADE_NEVER_READY: "1" });
      await sleep(200);
      assert.deepEqual(
        await Promise.all(
          ["/health", "/health/startup", "/health/ready"].map((p) => statusOf(url(p))),
        ),
        [503, 503, 503],
      );
      assert.equal((await healthOf(url("/health"))).checks.self.error, "startup never completes");
    });

    it("CASCADE_DEGRADED: the non-critical fully_operational stage fails: 200 degraded, still ready", async () => {
      const { url } = await standin({ CASCADE_DEGRADED: "1" });
      await sleep(100);
      const health = await healthOf(url("/health"));
      assert.equal(health.status, "degraded");
      assert.deepEqual(health.checks.stages?.["fully_operational"], {
        status: "unhealthy",
        critical: false,
        error: "not fully operational",
      });
      assert.equal(await statusOf(url("/health")), 200);
      // Ready is serving: every critical stage passes. Degraded agents serve (seed 1.3).
      assert.equal(await statusOf(url("/health/ready")), 200);
    });

    it("CASCADE_ERROR_RATE: reports that error rate over at least 1 request/s, and stays healthy", async () => {
      const { url } = await standin({ CASCADE_ERROR_RATE: "0.9" });
      await sleep(100);
      const health = (await healthOf(url("/health"))) as {
        status: string;
        metrics?: Record<string, number>;
      };
      assert.equal(health.status, "healthy");
      assert.equal(health.metrics?.error_rate, 0.9);
      assert.ok((health.metrics?.requests_per_second ?? 0) >= 1);
    });

    it("counts the requests it serves by outcome (cascade_requests_total); health checks and scrapes are not requests", async () => {
      const { url } = await standin({ CASCADE_SERVICE: "Counted" });
      await fetch(url("/health"));
      await fetch(url("/metrics"));
      await fetch(url("/register/test"), { method: "POST" }); // 200
      await fetch(url("/nothing")); // 404: answered, not an error of the agent
      const text = await (await fetch(url("/metrics"))).text();
      assert.match(text, /^cascade_requests_total\{service="Counted",outcome="ok"\} 2$/m);
      assert.doesNotMatch(text, /outcome="error"/);
    });

    it("CASCADE_FLAP_PERIOD_MS: alternates between healthy and unhealthy once serving", async () => {
      const { url } = await standin({ CASCADE_FLAP_PERIOD_MS: "200" });
      const seen: number[] = [];
      for (let i = 0; i < 10; i++) {
        seen.push(await statusOf(url("/health")));
        await sleep(100);
      }
      assert.ok(seen.includes(200) && seen.includes(503), `statuses seen: ${seen.join(",")}`);
      const changes = seen.slice(1).filter((s, i) => s !== seen[i]).length;
      assert.ok(changes >= 3, `expected repeated flips, saw ${seen.join(",")}`);
    });

    it("CASCADE_RESPONSE_DELAY_MS: answers slowly", async () => {
      const { url } = await standin({ CASCADE_RESPONSE_DELAY_MS: "250" });
      const started = Date.now();
      assert.equal(await statusOf(url("/health/db")), 200);
      assert.ok(Date.now() - started >= 240);
    });

    it("CASCADE_HANG: accepts connections and never answers", async () => {
      const { url } = await standin({ CASCADE_HANG: "1" });
      await assert.rejects(
        fetch(url("/health"), { signal: AbortSignal.timeout(300) }),
        /TimeoutError|aborted/,
      );
    });
  });
});
