import { strict as assert } from "node:assert";
import { planFleet } from "../../src/fleet/planner";
import { healthTiming } from "../../src/fleet/timing";
import { fleetOf, health } from "../support/fleet-builder";

const edges = (plan: ReturnType<typeof planFleet>) =>
  Object.fromEntries(plan.agents.map((agent) => [agent.name, agent.dependsOn]));

describe("planner", () => {
  it("times a health check the way Docker runs it", () => {
    // ServiceRegistry in the seed: 5s interval, 3s timeout, 3 retries, 10s start period.
    const timing = healthTiming(
      health({ intervalSeconds: 5, timeoutSeconds: 3, retries: 3, startPeriodSeconds: 10 }),
    );
    assert.deepEqual(timing, { bestSeconds: 5, worstSeconds: 10 + 3 * (5 + 3) });
  });

  // A(10) -> B(20) -> D(5) and C(30) in wave 1; E(1) in wave 2 depends on B only.
  const diamond = fleetOf({
    A: { wave: 1, worst: 10 },
    B: { wave: 1, worst: 20, dependsOn: ["A"] },
    C: { wave: 1, worst: 30 },
    D: { wave: 1, worst: 5, dependsOn: ["B"] },
    E: { wave: 2, worst: 1, dependsOn: ["B"] },
  });

  it("dependencies ordering: each agent waits for its own dependencies only", () => {
    const plan = planFleet(diamond, "dependencies");
    assert.deepEqual(edges(plan), { A: [], B: ["A"], C: [], D: ["B"], E: ["B"] });
    const readyBy = Object.fromEntries(plan.agents.map((a) => [a.name, a.readyBySeconds]));
    assert.deepEqual(readyBy, { A: 10, B: 30, C: 30, D: 35, E: 31 });
    assert.deepEqual(plan.criticalPath.agents, ["A", "B", "D"]);
    assert.equal(plan.criticalPath.seconds, 35);
  });

  it("waves ordering: a barrier on the previous wave plus dependencies inside the wave", () => {
    const plan = planFleet(diamond, "waves");
    assert.deepEqual(edges(plan), {
      A: [],
      B: ["A"],
      C: [],
      D: ["B"],
      E: ["A", "B", "C", "D"],
    });
    const e = plan.agents.find((a) => a.name === "E")!;
    assert.equal(e.startBySeconds, 35, "wave 1 is all healthy at 35s (D)");
    assert.equal(e.readyBySeconds, 36);
    assert.deepEqual(plan.criticalPath.agents, ["A", "B", "D", "E"]);
    assert.deepEqual(
      plan.waves.map((w) => [w.name, w.agents, w.readyBySeconds]),
      [
        ["wave_1", ["A", "B", "C", "D"], 35],
        ["wave_2", ["E"], 36],
      ],
    );
  });

  it("skips an empty wave: its barrier is the nearest earlier wave with agents", () => {
    const plan = planFleet(
      fleetOf({ A: { wave: 1, worst: 4 }, B: { wave: 3, worst: 2 } }),
      "waves",
    );
    assert.deepEqual(edges(plan), { A: [], B: ["A"] });
    assert.equal(plan.agents[1].readyBySeconds, 6);
  });

  it("reports topological levels independently of the declared waves", () => {
    const plan = planFleet(diamond, "waves");
    const level = Object.fromEntries(plan.agents.map((a) => [a.name, a.level]));
    assert.deepEqual(level, { A: 0, B: 1, C: 0, D: 2, E: 2 });
  });

  it("warns when an agent's worst case falls outside its wave window", () => {
    const plan = planFleet(
      fleetOf({ A: { wave: 1, worst: 50 }, B: { wave: 1, worst: 20, dependsOn: ["A"] } }),
      "waves",
    );
    assert.deepEqual(plan.warnings, [
      "B: healthy by 70s at worst, after its wave_1 window (0s-60s)",
    ]);
  });

  it("keeps best-case timings next to the worst case", () => {
    const plan = planFleet(diamond, "dependencies");
    // worst: start period only (interval and timeout are 0 in the sketch), so best is 0 each.
    assert.ok(plan.agents.every((a) => a.earliestReadySeconds === 0));
    assert.equal(plan.criticalPath.bestSeconds, 0);
  });

  it("flags GPU agents", () => {
    const plan = planFleet(fleetOf({ A: { gpu: true }, B: {} }), "waves");
    assert.deepEqual(
      plan.agents.map((a) => a.gpu),
      [true, false],
    );
  });
});
