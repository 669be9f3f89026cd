import { strict as assert } from "node:assert";
import { runDeploy, type DeployRequest } from "../../src/rollout/deploy";
import { leaseHolder, verifiedGoodVersions } from "../../src/rollout/history";
import { decodeRecord } from "../../src/rollout/record";
import { AUTOMATIC_CONFIRM_MS } from "../../src/rollout/rollback";
import { EngineError } from "../../src/rollout/workspace";
import {
  harness,
  historyOf,
  NEW_COMMIT,
  otherLease,
  OWNER,
  seedVerifiedGood,
  smallFleet,
  type Harness,
} from "./context";

const SITE = { target: "docker", network: "cascade-test" } as const;

function request(extra: Partial<DeployRequest> = {}): DeployRequest {
  return { fleet: smallFleet(), site: SITE, yes: true, ...extra };
}

const ops = (h: Harness) =>
  h.backend.calls
    .filter((call) => /^(up@|preview@|record)/.test(call))
    .map((c) => c.replace(/ message=.*$/s, ""));

describe("cascade deploy (fake workspace)", () => {
  it("previews, asks, takes the stack, applies, verifies and records the verdict without touching a resource again", async () => {
    const h = harness({ verdicts: ["verified"] });
    h.backend.programOutputs.set("repo", { agents: {} });
    const outcome = await runDeploy(h.context, request({ yes: false }));
    assert.deepEqual(outcome, { kind: "verified", version: 2 });
    assert.deepEqual(
      h.confirmations.map((c) => c.question),
      ["Deploy these changes to stack test?"],
    );
    // One update; the lease and the verdict are records (no program, no resource), not a second up.
    assert.deepEqual(ops(h), ["preview@repo", "record", "up@repo", "record"]);
    assert.deepEqual(historyOf(h.backend), [
      "record lease",
      "update succeeded: cascade deploy test (run a1b2c3)",
      "record verdict verified (final)",
    ]);
    assert.deepEqual(verifiedGoodVersions(h.backend.history), [2]);
    assert.equal(h.backend.configs.get("repo")?.["cascade:verifiedGood"], undefined);
    assert.equal(leaseHolder(h.backend.history, 2_000_000), undefined, "the stack is given back");
    const verdict = decodeRecord(h.backend.history[0].message);
    assert.ok(verdict?.kind === "verdict");
    assert.deepEqual([verdict.update, verdict.commit, verdict.polls], [2, NEW_COMMIT, 31]);
    assert.ok(verdict.measurements, "the window's measurements are recorded");
    assert.ok(
      h.printed.some((line) => line.includes("  + docker:index/container:Container")),
      "diff shown",
    );
    assert.deepEqual(h.verifyCalls, ["update 2: Registry,Models,Speech"]);
    assert.deepEqual(h.verifyRequests[0].site, SITE);
    assert.equal(h.verifyRequests[0].window, "deploy");
  });

  it("changes nothing when the operator declines", async () => {
    const h = harness({ confirm: false });
    const outcome = await runDeploy(h.context, request({ yes: false }));
    assert.deepEqual(outcome, { kind: "declined" });
    assert.deepEqual(ops(h), ["preview@repo"]);
    assert.equal(h.backend.history.length, 0);
  });

  it("--yes does not ask", async () => {
    const h = harness();
    await runDeploy(h.context, request());
    assert.deepEqual(h.confirmations, []);
  });

  it("leaves an unverified deployment alone: no rollback, recorded unverified", async () => {
    const h = harness({ verdicts: ["unverified"] });
    const outcome = await runDeploy(h.context, request());
    assert.equal(outcome.kind, "unverified");
    assert.deepEqual(verifiedGoodVersions(h.backend.history), []);
    assert.deepEqual(historyOf(h.backend).at(-1), "record verdict unverified (final)");
    assert.ok(h.printed.some((line) => /is NOT verified: no health observations/.test(line)));
  });

  describe("the verified-good record (defect 1)", () => {
    it("is refused when another update came during the window: nothing is recorded verified, nothing rolled back", async () => {
      const h = harness({
        verdicts: () => ({
          kind: "verified",
          pollsInWindow: 31,
          windowEndMs: 0,
          measurements: { agents: [], errorRate: { source: "none", samples: 0 } },
        }),
      });
      const verify = h.context.verify;
      h.context.verify = async (r) => {
        h.backend.foreignUpdate(); // someone runs `pulumi up` meanwhile
        return verify(r);
      };
      const outcome = await runDeploy(h.context, request());
      assert.deepEqual(outcome, { kind: "superseded", version: 2, by: 3 });
      assert.deepEqual(verifiedGoodVersions(h.backend.history), []);
      assert.equal(h.backend.calls.filter((c) => c.startsWith("up@")).length, 1);
      assert.ok(
        h.printed.some((l) =>
          /^Update 2 was followed by update 3 during its verify window/.test(l),
        ),
      );
    });

    it("is void when written after someone else's update anyway (a race): history decides", () => {
      const h = harness();
      seedVerifiedGood(h.backend); // update 1, its record 2
      const [record, update] = [h.backend.history[0], h.backend.history[1]];
      h.backend.history = [
        { ...record, version: 3 },
        { ...update, version: 1 },
      ];
      h.backend.record({ version: 2, message: "pulumi up by hand", environment: {}, config: {} });
      h.backend.history.sort((a, b) => b.version - a.version);
      assert.deepEqual(verifiedGoodVersions(h.backend.history), []);
    });
  });

  describe("one deploy-plus-window per stack at a time", () => {
    it("refuses to start while another run holds the stack, and says who", async () => {
      const h = harness();
      otherLease(h.backend, 5_000_000);
      const outcome = await runDeploy(h.context, request());
      assert.equal(outcome.kind, "refused");
      assert.deepEqual(ops(h), []);
      assert.match(
        h.printed.join("\n"),
        /deploy run 0the25 of test@ci-7 \(pid 99\) holds stack test until/,
      );
    });

    it("of two runs racing for the stack, the one whose lease the engine wrote first gets it", async () => {
      const h = harness();
      let raced = false;
      h.backend.beforeRecord = (message) => {
        if (!raced && decodeRecord(message)?.kind === "lease") {
          raced = true;
          otherLease(h.backend, 5_000_000);
        }
      };
      const outcome = await runDeploy(h.context, request());
      assert.equal(outcome.kind, "refused");
      assert.equal(h.backend.calls.filter((c) => c.startsWith("up@")).length, 0, "no update");
      assert.equal(leaseHolder(h.backend.history, 1_100_000)?.run, "0the25");
    });

    it("does not go on without its lease: when the engine cannot record it, nothing changes", async () => {
      const h = harness();
      h.backend.beforeRecord = (message) => {
        if (decodeRecord(message)?.kind === "lease") throw new EngineError("error: disk full");
      };
      const outcome = await runDeploy(h.context, request());
      assert.equal(outcome.kind, "error");
      assert.equal(h.backend.calls.filter((c) => c.startsWith("up@")).length, 0, "no update");
      assert.match(
        h.printed.join("\n"),
        /could not record the lease of this run in the history of stack test: error: disk full; the stack is not taken/,
      );
      assert.match(h.printed.join("\n"), /Nothing was changed; no verify window, no rollback/);
    });

    it("takes the stack once the other run's lease has run out", async () => {
      const h = harness();
      otherLease(h.backend, 1_000_500);
      const outcome = await runDeploy(h.context, request());
      assert.equal(outcome.kind, "verified");
    });

    it("clears the lease of a run whose process on this host is gone, and says so", async () => {
      const h = harness({ isAlive: (owner) => owner.pid !== 99 });
      otherLease(h.backend, 5_000_000, { ...OWNER, pid: 99 });
      const outcome = await runDeploy(h.context, request());
      assert.equal(outcome.kind, "verified");
      assert.ok(
        h.printed.some((l) =>
          /^Cleared what an interrupted run left: the lease of deploy run 0the25/.test(l),
        ),
      );
      assert.equal(historyOf(h.backend)[1], "record release");
    });
  });

  describe("only an update this run created is verified (defect 3)", () => {
    const cases: [string, NonNullable<Harness["backend"]["upFailure"]>, RegExp][] = [
      [
        "a locked stack",
        {
          message:
            "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.",
          locked: true,
        },
        /during the update, the engine found the stack locked by another update/,
      ],
      [
        "a wrong passphrase",
        { message: "error: incorrect passphrase", recorded: false },
        /the engine failed during the update:\n {2}error: incorrect passphrase/,
      ],
      [
        "a compile error (a failed update that changed nothing)",
        { message: "error: Running program failed: SyntaxError", began: {} },
        /update 4 failed before changing anything/,
      ],
    ];
    for (const [name, failure, printed] of cases) {
      it(`${name}: reports the engine's error, changes nothing, no window, no rollback`, async () => {
        const h = harness({ verdicts: ["rollback"] });
        seedVerifiedGood(h.backend);
        h.backend.upFailure = failure;
        const outcome = await runDeploy(h.context, request());
        assert.equal(outcome.kind, "error");
        assert.deepEqual(h.verifyCalls, [], "no verify window");
        assert.deepEqual(h.worktrees, [], "no rollback");
        assert.equal(h.backend.calls.filter((c) => c.startsWith("up@")).length, 1);
        assert.match(h.printed.join("\n"), printed);
        assert.match(h.printed.join("\n"), /Nothing was changed; no verify window, no rollback/);
        assert.equal(
          leaseHolder(h.backend.history, 2_000_000),
          undefined,
          "the stack is given back",
        );
      });
    }

    it("a failed update that changed resources (a readiness await that timed out) is verified, and rolled back on a trigger", async () => {
      const h = harness({ verdicts: ["rollback", "verified"] });
      seedVerifiedGood(h.backend); // updates 1 (good) and 2 (its record)
      h.backend.upFailure = {
        message:
          "error: 1 error occurred:\n  error: resource ServiceRegistry was not successfully updated",
        began: { update: 1, same: 2 },
      };
      const outcome = await runDeploy(h.context, request());
      assert.ok(outcome.kind === "rolled-back", JSON.stringify(outcome));
      assert.equal(outcome.version, 4);
      const failed = h.backend.history.find((u) => u.version === 4);
      assert.equal(failed?.result, "failed");
      assert.deepEqual(failed?.resourceChanges, { same: 2 }, "the engine counts no failed step");
      assert.ok(
        h.printed.some((line) => /^Update 4 FAILED: error: 1 error occurred:/.test(line)),
        h.printed.join("\n"),
      );
      assert.equal(h.verifyCalls[0], "update 4: Registry,Models,Speech");
    });

    it("a failed update whose events stop before the engine's summary may have changed anything: verified", async () => {
      const h = harness({ verdicts: ["rollback", "verified"] });
      seedVerifiedGood(h.backend);
      h.backend.upFailure = { message: "error: the engine was killed", began: {}, complete: false };
      const outcome = await runDeploy(h.context, request());
      assert.ok(outcome.kind === "rolled-back", JSON.stringify(outcome));
      assert.equal(h.verifyCalls.length, 2, "the update's window and the rollback's");
    });

    it("a failed update is never recorded verified-good, even when every agent passes", async () => {
      const h = harness({ verdicts: ["verified"] });
      h.backend.upFailure = { message: "error: the engine gave up", began: { update: 1 } };
      const outcome = await runDeploy(h.context, request());
      assert.deepEqual(outcome, {
        kind: "unverified",
        version: 2,
        reason: "the update failed: error: the engine gave up",
      });
      assert.deepEqual(verifiedGoodVersions(h.backend.history), []);
    });
  });

  describe("dirty trees (defect 4)", () => {
    it("refuses a tree with uncommitted changes, naming them and the stack file's encryptionsalt", async () => {
      const h = harness();
      h.dirtyFiles.push("Pulumi.test.yaml", "verify.prom");
      const outcome = await runDeploy(h.context, request());
      assert.equal(outcome.kind, "refused");
      assert.deepEqual(ops(h), []);
      const text = h.printed.join("\n");
      assert.match(
        text,
        /uncommitted changes in Pulumi\.test\.yaml, verify\.prom \(Pulumi\.test\.yaml: commit it; "pulumi stack init" writes its encryptionsalt there\)/,
      );
      assert.match(text, /--allow-dirty/);
    });

    it("--allow-dirty deploys, says the update can never be rolled back to, and a rollback passes it over", async () => {
      const h = harness({ verdicts: ["verified", "rollback", "verified"] });
      seedVerifiedGood(h.backend); // 1 and its record 2
      h.dirtyFiles.push("src/index.ts");
      h.backend.dirty.add("repo");
      const dirty = await runDeploy(h.context, request({ allowDirty: true }));
      assert.deepEqual(dirty, { kind: "verified", version: 4 });
      assert.ok(h.printed.some((l) => /this update will never be a rollback target/.test(l)));
      // The next release fails: the rollback goes to version 1, not to the dirty version 4.
      const outcome = await runDeploy(h.context, request({ allowDirty: true }));
      assert.ok(outcome.kind === "rolled-back");
      assert.deepEqual(outcome.rollback, { kind: "rolled-back", version: 10, target: 1 });
      assert.match(
        h.printed.join("\n"),
        /passed over version 4: update 4 of stack test was run from a working tree with uncommitted changes/,
      );
    });
  });

  it("a failing verification triggers the rollback stages, in order, to the last verified-good version", async () => {
    const h = harness({ verdicts: ["rollback", "verified"] });
    seedVerifiedGood(h.backend); // updates 1 (good) and 2 (its record)
    const outcome = await runDeploy(h.context, request());
    assert.ok(outcome.kind === "rolled-back");
    assert.equal(outcome.version, 4);
    assert.deepEqual(outcome.rollback, { kind: "rolled-back", version: 7, target: 1 });
    const stageLines = h.printed.filter((line) => /^\[\d\/4\] /.test(line));
    const order = stageLines.map((line) =>
      line.replace(/^\[(\d)\/4\] (\w+): (\w+).*$/s, "$1 $2 $3"),
    );
    assert.deepEqual(order, [
      "1 pause_new_deployment started",
      "1 pause_new_deployment done",
      "2 route_traffic_to_old started",
      "2 route_traffic_to_old skipped",
      "3 terminate_unhealthy_new started",
      "3 terminate_unhealthy_new done",
      "4 restore_old_version started",
      "4 restore_old_version update",
      "4 restore_old_version done",
    ]);
    assert.deepEqual(ops(h), [
      "preview@repo",
      "record", // lease
      "up@repo", // update 4: the new version
      "record", // verdict: failed
      "preview@worktree-aaaa", // the rollback's preview diff, before stage 3
      "up@worktree-aaaa targets=urn:pulumi:test::cascade::docker:index/container:Container::Registry replace=urn:pulumi:test::cascade::docker:index/container:Container::Registry",
      "up@worktree-aaaa", // update 7: version 1 restored
      "record", // the rollback, verified
    ]);
    assert.equal(h.backend.history[1].environment["git.head"], "a".repeat(40));
    assert.match(
      h.backend.history[1].message,
      /^cascade: rollback of stack test to version 1 .*\(run a1b2c3\)$/,
    );
    assert.deepEqual(verifiedGoodVersions(h.backend.history), [7, 1]);
    assert.deepEqual(h.removed, ["worktree-aaaa"], "worktree removed");
    assert.deepEqual(
      h.verifyRequests.map((r) => r.window),
      ["deploy", "rollback"],
      "deploy and rollback windows kept apart (defect 12)",
    );
    assert.match(
      h.printed.join("\n"),
      /Rollback of stack test to version 1: rolled-back\n {2}\[1\/4\] pause_new_deployment: done/,
    );
    assert.equal(leaseHolder(h.backend.history, 2_000_000), undefined);
  });

  it("an automatic rollback without --yes asks with a deadline, and goes ahead when no one answers (defect 12)", async () => {
    const h = harness({ verdicts: ["rollback", "verified"] });
    seedVerifiedGood(h.backend);
    await runDeploy(h.context, request({ yes: false }));
    assert.deepEqual(h.confirmations, [
      { question: "Deploy these changes to stack test?", options: undefined },
      {
        question: "Roll stack test back to version 1?",
        options: { timeoutMs: AUTOMATIC_CONFIRM_MS, onTimeout: true },
      },
    ]);
  });

  it("reports the rollback impossible and leaves the stack when nothing was ever verified", async () => {
    const h = harness({ verdicts: ["rollback"] });
    const outcome = await runDeploy(h.context, request());
    assert.ok(outcome.kind === "rolled-back");
    assert.equal(outcome.rollback.kind, "impossible");
    assert.ok(
      h.printed.some((line) =>
        /^Rollback impossible: stack test has no verified-good update/.test(line),
      ),
    );
    assert.ok(h.printed.some((line) => /Stack test is left as it is\./.test(line)));
    assert.deepEqual(h.worktrees, []);
    assert.equal(h.backend.calls.filter((call) => call.startsWith("up@")).length, 1);
    assert.equal(leaseHolder(h.backend.history, 2_000_000), undefined);
  });

  describe("interrupted (defect 10)", () => {
    it("during the verify window: stops, records it, gives the stack back; no rollback", async () => {
      const h = harness();
      h.context.verify = () => {
        h.interrupt.abort();
        return h.context.sleep(1000).then(() => assert.fail("not reached"));
      };
      const outcome = await runDeploy(h.context, request());
      assert.deepEqual(outcome, { kind: "interrupted", version: 2 });
      assert.deepEqual(historyOf(h.backend).slice(-1), ["record verdict interrupted (final)"]);
      assert.equal(leaseHolder(h.backend.history, 2_000_000), undefined);
      assert.match(
        h.printed.at(-1)!,
        /^Interrupted during the verify window of update 2: update 2 stays on the stack, not verified and not rolled back/,
      );
    });

    it("during the rollback: the stage fails as interrupted, the summary says how far it got, the worktree is removed", async () => {
      const h = harness({ verdicts: ["rollback"] });
      seedVerifiedGood(h.backend);
      h.backend.beforeUp = (options) => {
        if (options.message?.includes("terminate_unhealthy_new")) h.interrupt.abort();
      };
      const outcome = await runDeploy(h.context, request());
      assert.ok(outcome.kind === "rolled-back");
      assert.deepEqual(outcome.rollback, { kind: "interrupted", target: 1 });
      const text = h.printed.join("\n");
      assert.match(
        text,
        /\[3\/4\] terminate_unhealthy_new: failed: interrupted \(SIGINT\/SIGTERM\)/,
      );
      assert.match(
        text,
        /Rollback of stack test to version 1: interrupted\n.*\n.*\n {2}\[3\/4\] terminate_unhealthy_new: failed: interrupted.*\n {2}\[4\/4\] restore_old_version: not reached/,
      );
      assert.deepEqual(h.removed, ["worktree-aaaa"]);
      assert.equal(historyOf(h.backend).at(-1), "record rollback interrupted (final)");
      assert.equal(leaseHolder(h.backend.history, 2_000_000), undefined);
    });

    it("the next run clears a killed run's leftovers: its worktree (process gone) but not a live one's, and a legacy marker key", async () => {
      const h = harness({ isAlive: (owner) => owner.pid === 7 });
      h.registeredWorktrees.push(
        { dir: "/tmp/cascade-rollback-x/program", owner: { ...OWNER, pid: 6 } },
        { dir: "/tmp/cascade-rollback-y/program", owner: { ...OWNER, pid: 7 } },
      );
      h.backend.configs.get("repo")!["cascade:verifiedGood"] = { value: "3" };
      await runDeploy(h.context, request());
      assert.deepEqual(h.removed, ["/tmp/cascade-rollback-x/program"]);
      assert.deepEqual(
        h.registeredWorktrees.map((w) => w.dir),
        ["/tmp/cascade-rollback-y/program"],
      );
      assert.ok(h.backend.calls.includes("removeConfig@repo cascade:verifiedGood"));
      assert.equal(
        h.printed.filter((l) => l.startsWith("Cleared what an interrupted run left")).length,
        2,
      );
    });
  });
});
