import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { processStart } from "../../src/rehearse/process-start";

/** A process's start, which tells it apart from a later process given the same pid. */
describe("processStart", () => {
  it("is the same for one process, another for the next one, and undefined once it ended", async () => {
    const mine = processStart(process.pid);
    assert.match(mine ?? "", /^[0-9a-f-]{36}\/\d+$/);
    assert.equal(processStart(process.pid), mine);

    await new Promise((resolve) => setTimeout(resolve, 20)); // a later clock tick
    const child = spawn("sleep", ["5"]);
    try {
      const started = processStart(child.pid!);
      assert.ok(started !== undefined && started !== mine, `${started} vs ${mine}`);
      assert.equal(started.split("/")[0], mine!.split("/")[0], "one boot");
    } finally {
      child.kill();
    }
    assert.equal(processStart(spawnSync("true").pid), undefined);
  });
});
