import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import path from "node:path";
import { removeLeftovers, runUnderWay } from "../../src/rehearse/leftovers";
import { dockerClient, ROOT } from "../../src/rehearse/run";
import { processStart } from "../../src/rehearse/process-start";
import {
  REHEARSAL_LABEL,
  REHEARSAL_OWNER_LABEL,
  REHEARSAL_OWNER_START_LABEL,
  rehearsalOwner,
  STANDIN_IMAGE,
} from "../../src/rehearse/scale";

/**
 * What a rehearsal does, before it starts, with the other rehearsal runs on a shared engine
 * (real dockerd, containers created but never started): it removes only runs that provably
 * ended (its process is gone, or its pid is now another process's), and names and leaves alone a
 * live process's run, another host's, one without an owner label, and its own process's run under
 * way. Run under the shared Docker lock.
 */

const docker = dockerClient();
const tag = randomBytes(3).toString("hex");
/** Every container this test creates is named `cascade-leftovers-test-<tag>-...`. */
const PREFIX = `cascade-leftovers-test-${tag}-`;

async function createRun(what: string, labels: Record<string, string>): Promise<string> {
  const runId = `${tag}${what}`;
  await docker.createContainer({
    name: `${PREFIX}${what}`,
    Image: STANDIN_IMAGE,
    Labels: { ...labels, [REHEARSAL_LABEL]: runId },
  });
  return runId;
}

async function ours(): Promise<string[]> {
  const all = await docker.listContainers({ all: true, filters: { name: [PREFIX] } });
  return all.map((container) => container.Names[0].replace(/^\//, "")).sort();
}

/** The pid of a process of this host that has ended. */
function deadPid(): number {
  const ended = spawnSync("true");
  assert.equal(ended.status, 0);
  return ended.pid;
}

describe("rehearsal leftovers on a shared Docker engine", function () {
  this.timeout(120_000);
  let live: ChildProcess | undefined;

  before(function () {
    this.timeout(600_000);
    execFileSync(path.join(ROOT, "scripts", "dockerd.sh"), ["start"], { stdio: "inherit" });
    execFileSync(path.join(ROOT, "scripts", "build-standin-image.sh"), [], { stdio: "inherit" });
  });

  after(async () => {
    live?.kill();
    for (const name of await ours()) await docker.getContainer(name).remove({ force: true });
  });

  it("removes only the runs that ended, and names every other one", async () => {
    live = spawn("sleep", ["120"]);
    const owner = (pid: number, start = processStart(pid)) => ({
      [REHEARSAL_OWNER_LABEL]: `${hostname()}:${pid}`,
      ...(start === undefined ? {} : { [REHEARSAL_OWNER_START_LABEL]: start }),
    });
    const endedPid = deadPid();
    const ended = await createRun("ended", owner(endedPid));
    const alive = await createRun("alive", owner(live.pid!));
    // Its pid is live's now, as after a reboot that brought its containers back.
    const reused = await createRun("reused", owner(live.pid!, `${processStart(live.pid!)}0`));
    const older = await createRun("older", {
      [REHEARSAL_OWNER_LABEL]: `${hostname()}:${live.pid}`,
    });
    const remote = await createRun("remote", { [REHEARSAL_OWNER_LABEL]: "another-host:1" });
    const unowned = await createRun("unowned", {});
    const mineDone = await createRun("minedone", { [REHEARSAL_OWNER_LABEL]: rehearsalOwner() });
    const mineNow = await createRun("minenow", { [REHEARSAL_OWNER_LABEL]: rehearsalOwner() });
    await docker.createContainer({ name: `${PREFIX}unlabelled`, Image: STANDIN_IMAGE });

    const done = runUnderWay(mineNow);
    const found = await removeLeftovers(docker).finally(done);

    const removed = new Map(found.removed.map((run) => [run.runId, run]));
    assert.deepEqual(removed.get(ended)?.containers, [`${PREFIX}ended`]);
    assert.equal(removed.get(ended)!.why, `its process ${hostname()}:${endedPid} is gone`);
    assert.deepEqual(removed.get(reused)?.containers, [`${PREFIX}reused`]);
    assert.equal(removed.get(reused)!.why, `its process ${hostname()}:${live.pid} is gone`);
    assert.deepEqual(removed.get(mineDone)?.containers, [`${PREFIX}minedone`]);
    assert.equal(removed.get(mineDone)!.why, "an earlier run of this process");
    for (const id of [alive, older, remote, unowned, mineNow]) assert.ok(!removed.has(id), id);
    const runningIds = found.running.map((run) => run.runId);
    // A cascade before the start label: its pid is all there is.
    for (const id of [alive, older, remote, mineNow]) assert.ok(runningIds.includes(id), id);
    const left = found.unowned.find((run) => run.runId === unowned);
    assert.deepEqual(left?.containers, [`${PREFIX}unowned`]);
    assert.match(left.removeWith, new RegExp(`--filter label=${REHEARSAL_LABEL}=${unowned}\\)`));

    assert.deepEqual(await ours(), [
      `${PREFIX}alive`,
      `${PREFIX}minenow`,
      `${PREFIX}older`,
      `${PREFIX}remote`,
      `${PREFIX}unlabelled`,
      `${PREFIX}unowned`,
    ]);
  });
});
