import { strict as assert } from "node:assert";
import { planFleet } from "../../src/fleet/planner";
import type { Agent } from "../../src/fleet/model";
import { agentTiming, firstPassingProbe, healthTiming } from "../../src/fleet/timing";
import { fleetOf, health } from "../support/fleet-builder";

const edges = (plan: ReturnType<typeof planFleet>) =>
  Object.fromEntries(plan.agents.map((agent) => [agent.name, agent.dependsOn]));

const PRELOAD = {
  preload: ["m"],
  onDemand: [],
  maxModelsInMemory: 1,
  evictionPolicy: "lru" as const,
  idleTimeoutSeconds: 60,
};

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

  it("expects an agent at its first probe, or at the first probe after its start period when it loads models", () => {
    const check = health({
      intervalSeconds: 10,
      timeoutSeconds: 5,
      retries: 3,
      startPeriodSeconds: 25,
    });
    assert.deepEqual(agentTiming({ health: check }), {
      bestSeconds: 10,
      expectedSeconds: 10,
      worstSeconds: 70,
    });
    assert.equal(
      agentTiming({ health: check, models: { ...PRELOAD, preload: [] } }).expectedSeconds,
      10,
      "on demand only",
    );
    assert.equal(agentTiming({ health: check, models: PRELOAD }).expectedSeconds, 30);
    assert.equal(agentTiming({ health: { ...check, kind: "staged" } }).expectedSeconds, 30);
    assert.equal(firstPassingProbe(10, 30), 30, "a probe exactly when it is ready passes");
    assert.equal(firstPassingProbe(4400, 2200), 4400);
  });

  /** Wave 1 (0-60s): A (10s interval), then B with a 55s start period, worst case 145s. */
  function windowFleet(bModels?: Agent["models"]) {
    const fleet = fleetOf({ A: { wave: 1 }, B: { wave: 1, dependsOn: ["A"] } });
    fleet.agents[0].health = health({ intervalSeconds: 10, timeoutSeconds: 5, retries: 3 });
    fleet.agents[1].health = health({
      intervalSeconds: 10,
      timeoutSeconds: 5,
      retries: 3,
      startPeriodSeconds: 55,
    });
    fleet.agents[1].models = bModels;
    return fleet;
  }

  it("warns only when the expected time misses the wave window, not the worst case", () => {
    const quick = planFleet(windowFleet(), "waves");
    assert.equal(quick.agents[1].expectedReadySeconds, 20, "B's first probe passes");
    assert.equal(quick.agents[1].readyBySeconds, 145);
    assert.deepEqual(quick.warnings, []);
    const loading = planFleet(windowFleet(PRELOAD), "waves");
    assert.equal(loading.agents[1].expectedReadySeconds, 70, "A at 10s, B's first probe after 55s");
    assert.deepEqual(loading.warnings, [
      "B: expected healthy at 70s, after its wave_1 window (0s-60s); 145s at worst",
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
