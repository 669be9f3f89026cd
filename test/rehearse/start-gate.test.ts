import assert from "node:assert/strict";
import { defaultStartConcurrency, StartGate } from "../../src/rehearse/start-gate";

describe("the rehearsal's start gate", () => {
  /** Work that records its name once it runs, and how many ran at once. */
  function recorder() {
    const order: string[] = [];
    let inFlight = 0;
    let most = 0;
    const work = (name: string) => async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      order.push(name);
      inFlight--;
    };
    return { order, work, most: () => most };
  }

  it("serves what is asked for together highest priority first, never more than its limit", async () => {
    const gate = new StartGate(1);
    const { order, work, most } = recorder();
    await Promise.all([
      gate.whenIdle(work("create ahead")),
      gate.run(1, work("start")),
      gate.run(3, work("critical start")),
    ]);
    assert.deepEqual(order, ["critical start", "start", "create ahead"]);
    assert.equal(most(), 1);
  });

  it("work for when idle waits while any other is queued, even if queued after it", async () => {
    const gate = new StartGate(1);
    const { order, work } = recorder();
    const first = gate.run(1, work("start"));
    await new Promise((resolve) => setImmediate(resolve));
    const queued = [gate.whenIdle(work("create ahead")), gate.run(0, work("later start"))];
    await Promise.all([first, ...queued]);
    assert.deepEqual(order, ["start", "later start", "create ahead"]);
  });

  it("runs up to its limit at once", async () => {
    const gate = new StartGate(2);
    const { work, most } = recorder();
    await Promise.all(["a", "b", "c", "d"].map((name) => gate.run(0, work(name))));
    assert.equal(most(), 2);
  });

  it("releases its place when the work fails", async () => {
    const gate = new StartGate(1);
    await assert.rejects(gate.run(1, () => Promise.reject(new Error("create failed"))));
    assert.equal(await gate.run(1, () => Promise.resolve("next")), "next");
  });

  it("by default: one per two CPUs in the dependencies ordering, every CPU in waves", () => {
    assert.equal(defaultStartConcurrency("dependencies", 2), 1);
    assert.equal(defaultStartConcurrency("dependencies", 1), 1);
    assert.equal(defaultStartConcurrency("dependencies", 16), 8);
    assert.equal(defaultStartConcurrency("waves", 2), 2);
  });
});
