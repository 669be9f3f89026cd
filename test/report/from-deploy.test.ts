import { strict as assert } from "node:assert";
import type { RolloutEvent } from "../../src/rollout/events";
import { deployReportData } from "../../src/report/from-deploy";
import { fleet, plan, record } from "../support/deploy-record";

/**
 * `cascade deploy --report`'s data from what a deploy recorded: the bars are the agents'
 * resource steps, the verify window its polls, the rollback its stages, on one time axis.
 */

describe("report data: a deploy", () => {
  const render = (event: RolloutEvent) => `<${event.kind}>`;
  const data = deployReportData(record, fleet, plan, "s", render);
  const agent = (name: string) => data.agents.find((a) => a.name === name)!;

  it("every agent once; a bar from its container's (or Deployment's) step, how it ended; a replacement from its create", () => {
    assert.deepEqual(data.agents.map((a) => a.name).sort(), fleet.agents.map((a) => a.name).sort());
    assert.deepEqual(
      [agent("Registry").start, agent("Registry").end, agent("Registry").state],
      [5, 9, "healthy"],
    );
    assert.deepEqual(
      [agent("Core").start, agent("Core").end, agent("Core").state],
      [9, 15, "failed"],
    );
    assert.deepEqual(
      [agent("Worker").start, agent("Worker").end, agent("Worker").state],
      [9, 14, "healthy"],
    );
    assert.equal(agent("Helper").state, "unchanged");
    assert.equal(agent("Helper").start, undefined);
    assert.equal(agent("Loader").state, "not-started");
  });

  it("the planner's bounds and the seed's windows start at the update's first step", () => {
    const registry = plan.agents.find((a) => a.name === "Registry")!;
    assert.equal(agent("Registry").worst, 5 + registry.readyBySeconds);
    assert.equal(agent("Registry").best, 5 + registry.earliestReadySeconds);
    assert.equal(data.waves[0].windowStart, 5 + plan.waves[0].windowStartSeconds);
    assert.equal(data.marks.find((m) => m.kind === "measured")?.seconds, 14);
  });

  it("the verify window, healthy agents per poll, and the policy's action", () => {
    assert.deepEqual(data.verify?.windows, [{ label: "update 4", start: 20, seconds: 30 }]);
    assert.deepEqual(data.verify?.polls, [
      { at: 21, healthy: 6, total: 6, action: undefined },
      { at: 31, healthy: 2, total: 6, action: "immediate_rollback" },
    ]);
    assert.equal(data.verify?.outcome, "<rollback-triggered>");
  });

  it("the rollback's stages, each from its start to its last event or the next stage", () => {
    assert.deepEqual(
      data.rollback?.map((s) => [s.index, s.status, s.start, s.end, s.detail]),
      [
        [1, "done", 33, 34, "<paused>"],
        [2, "done", 35, 36, ""],
        [3, "skipped", 36, 36, "<terminate-skipped>"],
      ],
    );
  });
});
