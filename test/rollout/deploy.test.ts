import { strict as assert } from "node:assert";
import { runDeploy } from "../../src/rollout/deploy";
import { MARKER_KEY, verifiedGoodVersions } from "../../src/rollout/history";
import { harness, NEW_COMMIT, seedVerifiedGood, smallFleet } from "./context";

describe("cascade deploy (fake workspace)", () => {
  it("previews, asks, applies, verifies and records the verified-good marker", async () => {
    const h = harness({ verdicts: ["verified"] });
    h.backend.programOutputs.set("repo", { agents: {} });
    const outcome = await runDeploy(h.context, { fleet: smallFleet(), yes: false });
    assert.deepEqual(outcome, { kind: "verified", version: 1, markerVersion: 2 });
    assert.deepEqual(h.confirmations, ["Deploy these changes to stack test?"]);
    assert.deepEqual(
      h.backend.calls.filter((call) => !call.startsWith("history")),
      [
        "preview@repo message=cascade deploy test",
        "up@repo message=cascade deploy test",
        `up@repo message=cascade: verified-good version 1 (git ${NEW_COMMIT.slice(0, 12)})`,
      ],
    );
    const marker = h.backend.history[0];
    assert.equal(marker.config[MARKER_KEY]?.value, "1");
    assert.deepEqual(verifiedGoodVersions(h.backend.history), [1]);
    // The marker leaves the stack file as it was.
    assert.equal(h.backend.configs.get("repo")?.[MARKER_KEY], undefined);
    assert.ok(
      h.printed.some((line) => line.includes("  + docker:index/container:Container")),
      "diff shown",
    );
    assert.deepEqual(h.verifyCalls, ["update 1: Registry,Models,Speech"]);
  });

  it("changes nothing when the operator declines", async () => {
    const h = harness({ confirm: false });
    const outcome = await runDeploy(h.context, { fleet: smallFleet(), yes: false });
    assert.deepEqual(outcome, { kind: "declined" });
    assert.deepEqual(h.backend.calls, ["preview@repo message=cascade deploy test"]);
    assert.equal(h.backend.history.length, 0);
  });

  it("--yes does not ask", async () => {
    const h = harness();
    await runDeploy(h.context, { fleet: smallFleet(), yes: true });
    assert.deepEqual(h.confirmations, []);
  });

  it("leaves an unverified deployment alone: no rollback, no marker", async () => {
    const h = harness({ verdicts: ["unverified"] });
    const outcome = await runDeploy(h.context, { fleet: smallFleet(), yes: true });
    assert.equal(outcome.kind, "unverified");
    assert.equal(h.backend.history.length, 1);
    assert.deepEqual(verifiedGoodVersions(h.backend.history), []);
    assert.ok(h.printed.some((line) => /is NOT verified: no health observations/.test(line)));
  });

  it("a failed update (e.g. a readiness await that timed out) is still verified, and rolled back on a trigger", async () => {
    const h = harness({ verdicts: ["rollback", "verified"] });
    seedVerifiedGood(h.backend); // updates 1 (good) and 2 (marker)
    h.backend.upFailure =
      "code: 255\nstdout: Updating...\n  error: 1 error occurred:\n  error: resource ServiceRegistry was not successfully updated";
    const outcome = await runDeploy(h.context, { fleet: smallFleet(), yes: true });
    assert.equal(outcome.kind, "rolled-back");
    assert.equal(h.backend.history.find((u) => u.version === 3)?.result, "failed");
    assert.ok(
      h.printed.some((line) =>
        /^Update 3 FAILED: error: 1 error occurred:\n {2}error: resource ServiceRegistry/.test(
          line,
        ),
      ),
      h.printed.join("\n"),
    );
    assert.equal(h.verifyCalls[0], "update 3: Registry,Models,Speech");
  });

  it("a failed update is never marked verified-good, even when every agent passes", async () => {
    const h = harness({ verdicts: ["verified"] });
    h.backend.upFailure = "error: the engine gave up";
    const outcome = await runDeploy(h.context, { fleet: smallFleet(), yes: true });
    assert.deepEqual(outcome, {
      kind: "unverified",
      version: 1,
      reason: "the update failed: error: the engine gave up",
    });
    assert.deepEqual(verifiedGoodVersions(h.backend.history), []);
  });

  it("a failing verification triggers the rollback stages, in order, to the last verified-good version", async () => {
    const h = harness({ verdicts: ["rollback", "verified"] });
    seedVerifiedGood(h.backend); // updates 1 (good) and 2 (marker)
    const outcome = await runDeploy(h.context, { fleet: smallFleet(), yes: true });
    assert.equal(outcome.kind, "rolled-back");
    assert.ok(outcome.kind === "rolled-back");
    assert.equal(outcome.version, 3);
    assert.deepEqual(outcome.rollback, {
      kind: "rolled-back",
      version: 5,
      target: 1,
      markerVersion: 6,
    });

    const stageLines = h.printed.filter((line) => /^\[\d\/4\] /.test(line));
    const order = stageLines.map((line) =>
      line.replace(/^\[(\d)\/4\] (\w+): (\w+).*$/s, "$1 $2 $3"),
    );
    assert.deepEqual(order, [
      "1 pause_new_deployment started",
      "1 pause_new_deployment done",
      "2 route_traffic_to_old started",
      "2 route_traffic_to_old done",
      "3 terminate_unhealthy_new started",
      "3 terminate_unhealthy_new done",
      "4 restore_old_version started",
      "4 restore_old_version update",
      "4 restore_old_version done",
    ]);
    const ops = h.backend.calls.filter((call) => /^(up|preview|cancel)/.test(call));
    assert.deepEqual(
      ops.map((call) => call.replace(/ message=.*$/, "")),
      [
        "preview@repo",
        "up@repo", // update 3: the new version
        "cancel", // stage 1: nothing on the host changes before the preview
        "preview@worktree-aaaa", // the rollback's preview diff, before stage 3
        "up@worktree-aaaa targets=urn:pulumi:test::cascade::docker:index/container:Container::Registry replace=urn:pulumi:test::cascade::docker:index/container:Container::Registry",
        "up@worktree-aaaa", // update 5: version 1 restored
        "up@worktree-aaaa", // update 6: marker
      ],
    );
    assert.equal(h.backend.history[1].environment["git.head"], "a".repeat(40));
    assert.match(h.backend.history[1].message, /^cascade: rollback of stack test to version 1/);
    assert.deepEqual(verifiedGoodVersions(h.backend.history), [5, 1]);
    assert.deepEqual(h.removed, ["worktree-aaaa"], "worktree removed");
  });

  it("reports the rollback impossible and leaves the stack when nothing was ever verified", async () => {
    const h = harness({ verdicts: ["rollback"] });
    const outcome = await runDeploy(h.context, { fleet: smallFleet(), yes: true });
    assert.ok(outcome.kind === "rolled-back");
    assert.equal(outcome.rollback.kind, "impossible");
    assert.ok(
      h.printed.some((line) =>
        /^Rollback impossible: stack test has no verified-good update/.test(line),
      ),
    );
    assert.ok(h.printed.some((line) => /Stack test is left as it is\./.test(line)));
    assert.deepEqual(h.worktrees, []);
    assert.equal(h.backend.calls.filter((call) => call.startsWith("up")).length, 1);
  });
});
