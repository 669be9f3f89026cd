import assert from "node:assert/strict";
import { chooseHealthMediaType, renderHealth } from "../../src/health/negotiate";
import type { HealthResponse } from "../../src/health/response";
import { parseStandinConfig } from "../../src/standin/config";
import { startStandin, type RunningStandin } from "../../src/standin/server";

const degraded: HealthResponse = {
  status: "degraded",
  timestamp: "2025-07-30T12:00:00Z",
  service: { name: "STTService", version: "2.3.1", uptime_seconds: 42 },
  checks: {
    self: { status: "healthy", latency_ms: 3 },
    dependencies: {
      ModelManagerSuite: { status: "healthy", latency_ms: 12, critical: true },
      ObservabilityHub: { status: "unhealthy", critical: false, error: "connection refused" },
    },
    stages: { fully_operational: { status: "unhealthy", critical: false } },
    resources: { memory_mb: 512, cpu_percent: 15.5 },
  },
};

describe("health content negotiation", () => {
  it("prefers the seed format unless application/health+json is preferred", () => {
    const cases: [string | undefined, string][] = [
      [undefined, "application/json"],
      ["*/*", "application/json"],
      ["application/json", "application/json"],
      ["application/health+json", "application/health+json"],
      ["application/health+json, application/json;q=0.5", "application/health+json"],
      ["application/json, application/health+json;q=0.9", "application/json"],
      ["application/json, application/health+json", "application/json"],
      ["application/health+json;q=0, */*", "application/json"],
      ["text/html", "application/json"],
    ];
    for (const [accept, expected] of cases)
      assert.equal(chooseHealthMediaType(accept), expected, `Accept: ${accept}`);
  });

  it("maps to draft-inadarei-api-health-check: pass/warn/fail and component:measurement keys", () => {
    const rendered = renderHealth(degraded, "application/health+json");
    assert.equal(rendered.statusCode, 200);
    assert.equal(rendered.contentType, "application/health+json; charset=utf-8");
    const body = JSON.parse(rendered.body) as Record<string, unknown> & {
      checks: Record<string, { status: string }[]>;
    };
    assert.equal(body["status"], "warn");
    assert.equal(body["serviceId"], "STTService");
    assert.equal(body["releaseId"], "2.3.1");
    assert.equal(body["version"], "2");
    assert.deepEqual(Object.keys(body.checks).sort(), [
      "ModelManagerSuite:responseTime",
      "ObservabilityHub:responseTime",
      "cpu:utilization",
      "fully_operational:status",
      "memory:utilization",
      "self:responseTime",
      "uptime",
    ]);
    assert.equal(body.checks["ObservabilityHub:responseTime"]?.[0]?.status, "fail");
    assert.equal(body.checks["ModelManagerSuite:responseTime"]?.[0]?.status, "pass");
    assert.match(String(body["output"]), /ObservabilityHub:responseTime/);
  });

  it("answers 503 with status fail for an unhealthy service in both formats", () => {
    const unhealthy = { ...degraded, status: "unhealthy" as const };
    const seed = renderHealth(unhealthy, "application/json");
    const ietf = renderHealth(unhealthy, "application/health+json");
    assert.deepEqual([seed.statusCode, ietf.statusCode], [503, 503]);
    assert.equal((JSON.parse(seed.body) as HealthResponse).status, "unhealthy");
    assert.equal((JSON.parse(ietf.body) as { status: string }).status, "fail");
  });

  describe("over HTTP (stand-in agent)", () => {
    let standin: RunningStandin;
    before(async () => {
      standin = await startStandin(
        parseStandinConfig({ CASCADE_SERVICE_PORT: "0", CASCADE_DEGRADED: "1" }),
        () => undefined,
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
    });
    after(() => standin.stop());

    it("serves each representation with its content type", async () => {
      const url = `http://127.0.0.1:${standin.ports[0]}/health`;
      const seed = await fetch(url, { headers: { accept: "application/json" } });
      const ietf = await fetch(url, { headers: { accept: "application/health+json" } });
      assert.equal(seed.headers.get("content-type"), "application/json; charset=utf-8");
      assert.equal(ietf.headers.get("content-type"), "application/health+json; charset=utf-8");
      assert.deepEqual([seed.status, ietf.status], [200, 200]);
      assert.equal(((await seed.json()) as HealthResponse).status, "degraded");
      assert.equal(((await ietf.json()) as { status: string }).status, "warn");
    });
  });
});
