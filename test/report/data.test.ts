import { strict as assert } from "node:assert";
import { fleetInput } from "../../src/cli/fleet-input";
import { planFleet, type Ordering } from "../../src/fleet/planner";
import { planReportData } from "../../src/report/from-plan";
import { jsonInScript } from "../../src/report/html";

describe("report data: the plan", () => {
  for (const [stack, ordering] of [
    ["mainpc", "waves"],
    ["mainpc", "dependencies"],
    ["pc2", "waves"],
  ] as [string, Ordering][]) {
    it(`${stack}, ${ordering}: every agent once, bars and marks as the planner has them`, () => {
      const input = fleetInput({ stack, ordering }, "");
      const plan = planFleet(input.fleet, ordering);
      const data = planReportData(plan, input.fleet, stack);
      assert.deepEqual(
        data.agents.map((agent) => agent.name).sort(),
        input.fleet.agents.map((agent) => agent.name).sort(),
      );
      for (const agent of data.agents) {
        const planned = plan.agents.find((a) => a.name === agent.name)!;
        assert.equal(agent.start, planned.startBySeconds);
        assert.equal(agent.end, planned.readyBySeconds);
        assert.ok(agent.best! <= agent.worst!, agent.name);
      }
      assert.deepEqual(data.criticalPath.agents, plan.criticalPath.agents);
      const [best, worst] = data.marks;
      assert.equal(worst.seconds, plan.criticalPath.seconds);
      assert.equal(best.seconds, Math.max(...plan.agents.map((a) => a.earliestReadySeconds)));
      assert.ok(best.seconds <= worst.seconds);
      assert.equal(data.wavesAreBarriers, ordering === "waves");
      const declared = new Set(
        input.fleet.agents.flatMap((a) => a.dependsOn.map((from) => `${from}>${a.name}`)),
      );
      for (const edge of data.edges) assert.ok(declared.has(`${edge.from}>${edge.to}`));
      assert.deepEqual(
        data.waves.map((wave) => [wave.windowStart, wave.windowEnd]),
        plan.waves.map((wave) => [wave.windowStartSeconds, wave.windowEndSeconds]),
      );
    });
  }

  it("embedded JSON cannot close its script element or open a comment", () => {
    const text = jsonInScript({ detail: "</script><script>alert(1)</script><!-- \u2028" });
    assert.doesNotMatch(text, /<|>|\u2028/);
    assert.deepEqual(JSON.parse(text), {
      detail: "</script><script>alert(1)</script><!-- \u2028",
    });
  });
});
