import assert from "node:assert/strict";
import { defaultStartConcurrency, longestPaths, StartGate } from "../../src/rehearse/start-gate";

describe("the rehearsal's start gate", () => {
  // Registry -> Core -> Worker, Registry -> Helper; seconds to healthy per agent.
  const agents = [
    { name: "Registry", dependsOn: [], cost: 2 },
    { name: "Core", dependsOn: ["Registry"], cost: 3 },
    { name: "Worker", dependsOn: ["Core"], cost: 5 },
    { name: "Helper", dependsOn: ["Registry"], cost: 1 },
  ];
  const dependents = (name: string) =>
    agents.filter((agent) => agent.dependsOn.includes(name)).map((agent) => agent.name);

  it("longest paths: ahead of an agent through its dependents, and up to it through its dependencies", () => {
    const ahead = longestPaths(
      agents,
      (agent) => dependents(agent.name),
      (agent) => agent.cost,
    );
    assert.deepEqual(Object.fromEntries(ahead), { Registry: 10, Core: 8, Worker: 5, Helper: 1 });
    const through = longestPaths(
      agents,
      (agent) => agent.dependsOn,
      (agent) => agent.cost,
    );
    assert.deepEqual(Object.fromEntries(through), { Registry: 2, Core: 5, Worker: 10, Helper: 3 });
  });

  it("serves the highest priority first, never more than its limit at once", async () => {
    const gate = new StartGate(1);
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
    await Promise.all([
      gate.run(5, work("first, the gate was free")),
      gate.run(0, work("create ahead")),
      gate.run(1e12, work("start")),
      gate.run(1e12 + 3, work("critical start")),
    ]);
    assert.deepEqual(order, [
      "first, the gate was free",
      "critical start",
      "start",
      "create ahead",
    ]);
    assert.equal(most, 1);
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
