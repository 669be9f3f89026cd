import { strict as assert } from "node:assert";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { METRIC_NAMES } from "../../src/health/metric-names";
import { verifyDeployment, type VerifyTarget } from "../../src/rollout/verifier";
import { SEED_POLICY } from "./fixtures";

/** A fake clock whose sleep advances time at once: the 300 s window runs in milliseconds. */
function fakeClock(start: number) {
  let now = start;
  return {
    clock: { now: () => now },
    sleep: (ms: number) => {
      now += ms;
      return Promise.resolve();
    },
  };
}

type Behaviour = (call: number) => { status: number; body?: unknown } | "hang";

async function agentServer(behaviour: Behaviour) {
  let calls = 0;
  const server = http.createServer((_req, res) => {
    const answer = behaviour(calls++);
    if (answer === "hang") return;
    res.writeHead(answer.status, { "content-type": "application/json" });
    res.end(answer.body === undefined ? "" : JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/health`,
    close: () => server.close(),
    calls: () => calls,
  };
}

function body(status: string, errorRate = 0) {
  return {
    status,
    timestamp: new Date(0).toISOString(),
    service: { name: "x", version: "1.0.0", uptime_seconds: 5 },
    checks: { self: { status } },
    metrics: { error_rate: errorRate, requests_per_second: 10, average_latency_ms: 3 },
  };
}

describe("verifier (verify window against real HTTP servers on 127.0.0.1)", () => {
  const servers: { close(): void }[] = [];
  afterEach(() => servers.splice(0).forEach((s) => s.close()));

  async function targets(behaviours: Record<string, Behaviour>, critical: string[] = []) {
    const list: VerifyTarget[] = [];
    for (const [name, behaviour] of Object.entries(behaviours)) {
      const server = await agentServer(behaviour);
      servers.push(server);
      list.push({
        name,
        group: "g",
        wave: 1,
        critical: critical.includes(name),
        healthUrl: server.url,
      });
    }
    return list;
  }

  it("verifies a healthy fleet after the whole window, polling every 10 s, and exports metrics", async () => {
    const { clock, sleep } = fakeClock(1_000);
    const list = await targets({
      A: () => ({ status: 200, body: body("healthy") }),
      B: () => ({ status: 200, body: body("degraded") }),
    });
    const result = await verifyDeployment({
      targets: list,
      policy: SEED_POLICY,
      deployEndMs: 1_000,
      clock,
      sleep,
    });
    assert.equal(result.verdict.kind, "verified");
    assert.equal(result.polls.length, 31); // 0 s, 10 s, ... 300 s
    assert.equal(clock.now(), 301_000);
    const text = await result.metrics.registry.metrics();
    assert.match(
      text,
      new RegExp(
        `${METRIC_NAMES.healthCheckDuration}_count\\{service="A",check_type="verify"\\} 31`,
      ),
    );
    assert.match(
      text,
      new RegExp(`${METRIC_NAMES.startupDuration}\\{service="B",group="g",wave="1"\\} 0`),
    );
  });

  it("triggers an immediate rollback when the critical agent answers 503", async () => {
    const { clock, sleep } = fakeClock(0);
    const list = await targets(
      {
        Core: () => ({ status: 503, body: body("unhealthy") }),
        A: () => ({ status: 200, body: body("healthy") }),
      },
      ["Core"],
    );
    const result = await verifyDeployment({
      targets: list,
      policy: SEED_POLICY,
      deployEndMs: 0,
      clock,
      sleep,
    });
    assert.ok(result.verdict.kind === "rollback");
    assert.equal(result.verdict.trigger.condition.kind, "critical_service_unhealthy");
    assert.equal(result.polls.length, 3);
    const text = await result.metrics.registry.metrics();
    assert.match(
      text,
      /cascade_dependency_check_failures_total\{service="cascade-verifier",dependency="Core"\} 3/,
    );
  });

  it("triggers a gradual rollback on a reported error rate above 10%", async () => {
    const { clock, sleep } = fakeClock(0);
    const list = await targets({ A: () => ({ status: 200, body: body("healthy", 0.3) }) });
    const result = await verifyDeployment({
      targets: list,
      policy: SEED_POLICY,
      deployEndMs: 0,
      clock,
      sleep,
    });
    assert.ok(result.verdict.kind === "rollback");
    assert.equal(result.verdict.trigger.action, "gradual_rollback");
  });

  it("counts a hanging agent, a refused connection and garbage as not answering", async () => {
    const { clock, sleep } = fakeClock(0);
    const list = await targets({
      Hang: () => "hang",
      Bad: () => ({ status: 500, body: "oops" }),
      Ok: () => ({ status: 200 }), // bare 2xx: healthy, as curl -f
    });
    list.push({
      name: "Gone",
      group: "g",
      wave: 1,
      critical: false,
      healthUrl: "http://127.0.0.1:1/health",
    });
    const result = await verifyDeployment({
      targets: list,
      policy: SEED_POLICY,
      deployEndMs: 0,
      clock,
      sleep,
      requestTimeoutMs: 50,
    });
    assert.ok(result.verdict.kind === "rollback");
    assert.equal(result.verdict.trigger.condition.kind, "health_check_failures");
    assert.deepEqual(result.verdict.trigger.failingAgents, ["Hang", "Bad", "Gone"]);
  });

  it("stops calling an agent once its circuit opens (5 consecutive failures)", async () => {
    const { clock, sleep } = fakeClock(0);
    const down = await agentServer(() => ({ status: 500 }));
    servers.push(down);
    const list = await targets({
      A: () => ({ status: 200, body: body("healthy") }),
      B: () => ({ status: 200, body: body("healthy") }),
    });
    list.push({ name: "Down", group: "g", wave: 1, critical: false, healthUrl: down.url });
    const result = await verifyDeployment({
      targets: list,
      policy: SEED_POLICY,
      deployEndMs: 0,
      clock,
      sleep,
    });
    // Down fails on every poll: 1/3 failing (not > 50%), and the agents that answer report a 0
    // error rate, so no condition holds; its circuit opens after 5 failures and stays open.
    assert.equal(result.verdict.kind, "verified");
    assert.equal(result.polls.length, 31);
    assert.equal(down.calls(), 5);
  });
});
