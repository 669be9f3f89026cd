import assert from "node:assert/strict";
import {
  CircuitBreaker,
  CircuitOpenError,
  type CircuitState,
} from "../../src/health/circuit-breaker";
import { checkHttp } from "../../src/health/stage-checks";
import { startFixtureServer } from "./fixture-server";

/** Replaces Date.now, which the breaker reads, with a clock the test moves. */
function useFakeClock(): { advance(ms: number): void; restore(): void } {
  const realNow = Date.now;
  let now = 1_000_000;
  Date.now = () => now;
  return { advance: (ms) => (now += ms), restore: () => (Date.now = realNow) };
}

const fail = (): Promise<never> => Promise.reject(new Error("dependency down"));
const succeed = (): Promise<string> => Promise.resolve("ok");

describe("circuit breaker (seed §5.3)", () => {
  let clock: ReturnType<typeof useFakeClock>;
  beforeEach(() => (clock = useFakeClock()));
  afterEach(() => clock.restore());

  async function failTimes(breaker: CircuitBreaker, n: number): Promise<void> {
    for (let i = 0; i < n; i++) await assert.rejects(breaker.call(fail), /dependency down/);
  }

  it("opens after failure_threshold consecutive failures, and then fails fast without calling", async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 3, timeoutMs: 60_000 });
    await failTimes(breaker, 2);
    assert.equal(breaker.state, "closed");
    await failTimes(breaker, 1);
    assert.equal(breaker.state, "open");
    let called = false;
    await assert.rejects(
      breaker.call(() => {
        called = true;
        return succeed();
      }),
      CircuitOpenError,
    );
    assert.equal(called, false);
  });

  it("counts consecutive failures only: a success in between resets the count", async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 3, timeoutMs: 60_000 });
    await failTimes(breaker, 2);
    await breaker.call(succeed);
    await failTimes(breaker, 2);
    assert.equal(breaker.state, "closed");
  });

  it("stays open until the timeout, then lets one trial through and closes on its success", async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2, timeoutMs: 60_000 });
    const states: CircuitState[] = [];
    breaker.onStateChange((s) => states.push(s));
    await failTimes(breaker, 2);
    clock.advance(59_999);
    await assert.rejects(breaker.call(succeed), CircuitOpenError);
    clock.advance(1);
    assert.equal(await breaker.call(succeed), "ok");
    assert.equal(breaker.state, "closed");
    assert.deepEqual(states, ["open", "half-open", "closed"]);
    // Closed again with a fresh count: one failure does not reopen it.
    await failTimes(breaker, 1);
    assert.equal(breaker.state, "closed");
  });

  it("reopens for another full timeout when the trial fails", async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2, timeoutMs: 10_000 });
    await failTimes(breaker, 2);
    clock.advance(10_000);
    await assert.rejects(breaker.call(fail), /dependency down/);
    assert.equal(breaker.state, "open");
    clock.advance(9_999);
    await assert.rejects(breaker.call(succeed), CircuitOpenError);
    clock.advance(1);
    await breaker.call(succeed);
    assert.equal(breaker.state, "closed");
  });

  it("holds other callers while the trial is in flight, then runs or fails them by its verdict", async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, timeoutMs: 1_000 });
    const order: string[] = [];
    const trialOutcome = async (ok: boolean): Promise<void> => {
      clock.advance(1_000);
      let settleTrial = (): void => undefined;
      const trial = breaker.call(
        () =>
          new Promise<string>((resolve, reject) => {
            order.push("trial started");
            settleTrial = () => (ok ? resolve("ok") : reject(new Error("dependency down")));
          }),
      );
      const waiting = breaker.call(() => {
        order.push("waiting caller ran");
        return succeed();
      });
      await new Promise((resolve) => setImmediate(resolve));
      order.push("trial settles");
      settleTrial();
      await Promise.allSettled([trial, waiting]);
      if (ok) assert.equal(await waiting, "ok");
      else await assert.rejects(waiting, CircuitOpenError);
    };

    await failTimes(breaker, 1);
    await trialOutcome(false);
    assert.deepEqual(order, ["trial started", "trial settles"]);
    assert.equal(breaker.state, "open");
    order.length = 0;
    await trialOutcome(true);
    assert.deepEqual(order, ["trial started", "trial settles", "waiting caller ran"]);
    assert.equal(breaker.state, "closed");
  });

  it("rejects a threshold below 1", () => {
    assert.throws(() => new CircuitBreaker({ failureThreshold: 0, timeoutMs: 1 }), RangeError);
  });
});

describe("circuit breaker around a real server that goes down and comes back", () => {
  it("opens while the server is down, stops calling it, and closes after it returns", async () => {
    let server = await startFixtureServer({ "/health": { status: 200 } });
    const { port } = server;
    const url = server.url("/health");
    const breaker = new CircuitBreaker({ failureThreshold: 2, timeoutMs: 200 });
    const check = () => breaker.call(() => checkHttp(url, "GET", AbortSignal.timeout(1000)));

    await check();
    await server.close();
    await assert.rejects(check(), /ECONNREFUSED/);
    await assert.rejects(check(), /ECONNREFUSED/);
    assert.equal(breaker.state, "open");

    server = await startFixtureServer({ "/health": { status: 200 } }, port);
    try {
      await assert.rejects(check(), CircuitOpenError);
      assert.deepEqual(server.requests, [], "an open circuit must not call the dependency");
      await new Promise((resolve) => setTimeout(resolve, 250));
      await check();
      assert.equal(breaker.state, "closed");
      assert.deepEqual(server.requests, ["GET /health"]);
    } finally {
      await server.close();
    }
  });
});
