import { strict as assert } from "node:assert";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { METRIC_NAMES } from "../../src/health/metric-names";
import {
  ObservationError,
  verifyDeployment,
  type VerifyOptions,
  type VerifyTarget,
} from "../../src/rollout/verifier";
import { SEED_ROLLBACK_POLICY } from "../../src/fleet/defaults";

/**
 * The seed's verify window over `targets`, from `startMs` when the update ended, on a fake clock
 * whose sleep advances time at once: the 300 s window runs in milliseconds.
 */
async function verify(
  targets: VerifyTarget[],
  options: Partial<VerifyOptions> & { startMs?: number } = {},
) {
  const { startMs = 0, ...overrides } = options;
  let now = startMs;
  const clock = { now: () => now };
  const result = await verifyDeployment({
    targets,
    policy: SEED_ROLLBACK_POLICY,
    deployEndMs: startMs,
    clock,
    sleep: (ms: number) => {
      now += ms;
      return Promise.resolve();
    },
    ...overrides,
  });
  return { result, clock };
}

/** `text` is sent as it is; `body` as JSON. */
type Behaviour = (call: number) => { status: number; body?: unknown; text?: string } | "hang";

async function agentServer(behaviour: Behaviour) {
  let calls = 0;
  const server = http.createServer((_req, res) => {
    const answer = behaviour(calls++);
    if (answer === "hang") return;
    res.writeHead(answer.status, { "content-type": "application/json" });
    res.end(answer.text ?? (answer.body === undefined ? "" : JSON.stringify(answer.body)));
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
    const list = await targets({
      A: () => ({ status: 200, body: body("healthy") }),
      B: () => ({ status: 200, body: body("degraded") }),
    });
    const { result, clock } = await verify(list, { startMs: 1_000 });
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
    const list = await targets(
      {
        Core: () => ({ status: 503, body: body("unhealthy") }),
        A: () => ({ status: 200, body: body("healthy") }),
      },
      ["Core"],
    );
    const { result } = await verify(list);
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
    const list = await targets({ A: () => ({ status: 200, body: body("healthy", 0.3) }) });
    const { result } = await verify(list);
    assert.ok(result.verdict.kind === "rollback");
    assert.equal(result.verdict.trigger.action, "gradual_rollback");
  });

  it("asks the error-rate source over the window at every poll, and the policy takes its rate", async () => {
    const list = await targets({ A: () => ({ status: 200, body: body("healthy", 0) }) });
    const asked: { startMs: number; atMs: number }[] = [];
    const { result } = await verify(list, {
      startMs: 5_000,
      errorRate: (window) => {
        asked.push(window);
        return Promise.resolve({ rate: 0.5, source: "prometheus" });
      },
    });
    assert.ok(result.verdict.kind === "rollback");
    assert.match(result.verdict.trigger.reason, /Prometheus, over the window/);
    assert.deepEqual(asked, [
      { startMs: 5_000, atMs: 5_000 },
      { startMs: 5_000, atMs: 15_000 },
      { startMs: 5_000, atMs: 25_000 },
    ]);
    assert.deepEqual(result.polls[0].errorRate, { rate: 0.5, source: "prometheus" });
  });

  it("reads status and error rate from an agent built on seed §3.2's template", async () => {
    // What json.dumps prints for the template's dict (timestamp = datetime.utcnow().isoformat(),
    // no offset), with the seed §3.1 metrics the template leaves to the agent.
    const printed =
      '{"status": "degraded", "timestamp": "2025-07-30T12:00:00.123456", ' +
      '"service": {"name": "NLUAgent", "version": "1.0.0", "uptime_seconds": 12.345678}, ' +
      '"checks": {"self": {"status": "healthy", "latency_ms": 5}, ' +
      '"dependencies": {"RequestCoordinator": {"status": "degraded", "latency_ms": 12}}, ' +
      '"resources": {"memory_mb": 512, "cpu_percent": 15.5, "threads": 8}}, ' +
      '"metrics": {"requests_per_second": 145, "error_rate": 0.3, "average_latency_ms": 23}}';
    const list = await targets({ A: () => ({ status: 200, text: printed }) });
    const { result } = await verify(list);
    assert.deepEqual(result.polls[0]?.results[0], {
      agent: "A",
      outcome: "degraded",
      errorRate: 0.3,
      requestsPerSecond: 145,
    });
    assert.ok(result.verdict.kind === "rollback");
    assert.equal(result.verdict.trigger.action, "gradual_rollback");
  });

  it("counts a hanging agent, a refused connection and garbage as not answering", async () => {
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
    const { result } = await verify(list, { requestTimeoutMs: 50 });
    assert.ok(result.verdict.kind === "rollback");
    assert.equal(result.verdict.trigger.condition.kind, "health_check_failures");
    assert.deepEqual(result.verdict.trigger.failingAgents, ["Hang", "Bad", "Gone"]);
  });

  it("stops on a bug in the observation source instead of counting the agent as not answering", async () => {
    const list = await targets({ A: () => ({ status: 200, body: body("healthy") }) });
    const bug = (): Promise<never> =>
      Promise.reject(new TypeError("reading 'status' of undefined"));
    await assert.rejects(verify(list, { observe: bug }), /reading 'status' of undefined/);
    const { result } = await verify(list, {
      observe: (target) => Promise.reject(new ObservationError(`${target.name}: refused`)),
    });
    assert.equal(result.verdict.kind, "rollback", "an ObservationError is an agent not answering");
  });

  it("stops calling an agent once its circuit opens (5 consecutive failures)", async () => {
    const down = await agentServer(() => ({ status: 500 }));
    servers.push(down);
    const list = await targets({
      A: () => ({ status: 200, body: body("healthy") }),
      B: () => ({ status: 200, body: body("healthy") }),
    });
    list.push({ name: "Down", group: "g", wave: 1, critical: false, healthUrl: down.url });
    const { result } = await verify(list);
    // Down fails on every poll: 1/3 failing (not > 50%), and the agents that answer report a 0
    // error rate, so no condition holds; its circuit opens after 5 failures and stays open.
    assert.equal(result.verdict.kind, "verified");
    assert.equal(result.polls.length, 31);
    assert.equal(down.calls(), 5);
  });
});
