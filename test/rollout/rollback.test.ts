import { strict as assert } from "node:assert";
import { chooseRollbackTarget } from "../../src/rollout/history";
import type { Verdict } from "../../src/rollout/policy";
import { runRollback, type RollbackRequest } from "../../src/rollout/rollback";
import { harness, OLD_COMMIT, seedVerifiedGood } from "./context";
import { SEED_POLICY } from "./fixtures";

const REQUEST: RollbackRequest = { yes: true, mode: "immediate", policy: SEED_POLICY };

describe("cascade rollback (fake workspace)", () => {
  it("rolls back to the last verified-good version, preview first, and verifies", async () => {
    const h = harness({ confirm: true });
    seedVerifiedGood(h.backend);
    h.backend.record({
      message: "cascade deploy test",
      environment: { "git.head": "b".repeat(40) },
      config: {},
    });
    const outcome = await runRollback(h.context, { ...REQUEST, yes: false });
    assert.deepEqual(outcome, { kind: "rolled-back", version: 4, target: 1, markerVersion: 5 });
    assert.deepEqual(h.confirmations, ["Roll stack test back to version 1?"]);
    assert.ok(
      h.printed[0].startsWith(
        `Rolling back stack test to version 1 (git ${OLD_COMMIT.slice(0, 12)}, refs/heads/main), immediate`,
      ),
    );
    const previewAt = h.printed.findIndex((line) => line.startsWith("Preview of the rollback"));
    const stage3 = h.printed.findIndex((line) => line.startsWith("[3/4]"));
    assert.ok(previewAt > 0 && previewAt < stage3, "preview shown before the host changes");
    assert.ok(h.printed.some((line) => line.startsWith("[3/4] terminate_unhealthy_new: skipped")));
    assert.deepEqual(h.verifyCalls, ["rollback to version 1: Registry,Models,Speech"]);
  });

  it("declining leaves the stack as it is", async () => {
    const h = harness({ confirm: false });
    seedVerifiedGood(h.backend);
    const before = h.backend.history.length;
    const outcome = await runRollback(h.context, { ...REQUEST, yes: false });
    assert.deepEqual(outcome, { kind: "declined" });
    assert.equal(h.backend.history.length, before);
    assert.ok(
      h.printed.some((line) =>
        /Rollback cancelled before terminate_unhealthy_new; stack test is left as it is/.test(line),
      ),
    );
    assert.deepEqual(h.removed, ["worktree-aaaa"]);
  });

  it("--to picks an older verified-good version and refuses one never verified", async () => {
    const h = harness();
    seedVerifiedGood(h.backend, 1); // 1, 2 (marker of 1)
    seedVerifiedGood(h.backend, 3); // 3, 4 (marker of 3)
    const refused = await runRollback(h.context, { ...REQUEST, to: 2 });
    assert.equal(refused.kind, "impossible");
    assert.ok(refused.kind === "impossible");
    assert.match(
      refused.reason,
      /version 2 of stack test was never verified good; verified-good versions: 3, 1/,
    );
    const outcome = await runRollback(h.context, { ...REQUEST, to: 1 });
    assert.equal(outcome.kind, "rolled-back");
  });

  describe("impossible rollbacks leave the stack as it is", () => {
    const cases: [string, (h: ReturnType<typeof harness>) => void, RegExp][] = [
      ["empty history", () => undefined, /has no updates in its history/],
      [
        "no verified-good update",
        (h) =>
          h.backend.record({
            message: "cascade deploy test",
            environment: { "git.head": OLD_COMMIT },
            config: {},
          }),
        /no verified-good update/,
      ],
      [
        "an update in progress",
        (h) => {
          seedVerifiedGood(h.backend);
          h.backend.record({ message: "x", result: "in-progress", environment: {}, config: {} });
        },
        /update 3 of stack test is still in progress; .*pulumi cancel --stack test/,
      ],
      [
        "dirty history",
        (h) => {
          seedVerifiedGood(h.backend);
          h.backend.history[1].environment["git.dirty"] = "true";
        },
        /uncommitted changes \(git\.dirty=true\)/,
      ],
      [
        "no git metadata",
        (h) => {
          seedVerifiedGood(h.backend);
          h.backend.history[1].environment = {};
        },
        /records no git commit \(environment git\.head\)/,
      ],
      [
        "the verified update fell out of history",
        (h) => {
          seedVerifiedGood(h.backend);
          h.backend.history.pop();
        },
        /update 1 is no longer in the history/,
      ],
    ];
    for (const [name, arrange, reason] of cases) {
      it(name, async () => {
        const h = harness();
        arrange(h);
        const calls = h.backend.calls.length;
        const outcome = await runRollback(h.context, REQUEST);
        assert.ok(outcome.kind === "impossible", JSON.stringify(outcome));
        assert.match(outcome.reason, reason);
        assert.deepEqual(h.backend.calls.slice(calls), ["history"], "nothing but history was read");
        assert.match(h.printed.join("\n"), /Stack test is left as it is\./);
      });
    }

    it("a commit missing from the repository", async () => {
      const h = harness({ knownCommits: [] });
      seedVerifiedGood(h.backend);
      const outcome = await runRollback(h.context, REQUEST);
      assert.ok(outcome.kind === "impossible");
      assert.match(outcome.reason, /commit a{40} of version 1 is not in \/repo; fetch it/);
      assert.deepEqual(h.worktrees, []);
    });
  });

  it("accepts a rollback update as a target although its stack file was rewritten (git.dirty)", () => {
    const decision = chooseRollbackTarget("test", [
      {
        version: 2,
        kind: "update",
        result: "succeeded",
        message: "cascade: verified-good version 1",
        environment: {},
        config: { "cascade:verifiedGood": { value: "1" } },
      },
      {
        version: 1,
        kind: "update",
        result: "succeeded",
        message: "cascade: rollback of stack test to version 0",
        environment: { "git.head": OLD_COMMIT, "git.dirty": "true" },
        config: {},
      },
    ]);
    assert.ok(decision.ok);
  });

  it("gradual: reverse wave order, each wave verified, then a final verified up", async () => {
    const h = harness();
    seedVerifiedGood(h.backend);
    const outcome = await runRollback(h.context, {
      ...REQUEST,
      mode: "gradual",
      unhealthy: ["Speech"],
    });
    assert.equal(outcome.kind, "rolled-back");
    const ups = h.backend.calls
      .filter((call) => call.startsWith("up@"))
      .map((call) => call.replace(/^up@worktree-aaaa ?/, ""));
    assert.match(ups[0], /targets=.*::Speech replace=.*::Speech message=.*terminate_unhealthy_new/);
    assert.match(ups[1], /targets=.*::Models,.*::Speech message=.*: wave 2$/);
    assert.match(ups[2], /targets=.*::Registry message=.*: wave 1$/);
    assert.match(ups[3], /^message=cascade: rollback of stack test to version 1 \(git a{12}\)$/);
    assert.deepEqual(h.verifyCalls, [
      "rollback wave 2: Models,Speech",
      "rollback wave 1: Registry",
      "rollback to version 1: Registry,Models,Speech",
    ]);
  });

  it("gradual: a wave that fails verification escalates to an immediate rollback", async () => {
    const failing: Verdict = {
      kind: "rollback",
      pollsInWindow: 3,
      windowEndMs: 0,
      trigger: {
        condition: { kind: "health_check_failures", aboveRatio: 0.5, action: "immediate_rollback" },
        action: "immediate_rollback",
        atMs: 0,
        reason: "health check failures 100% (2/2) > 50% on 3 consecutive polls",
        failingAgents: ["Models", "Speech"],
      },
    };
    const h = harness({
      verdicts: (label) =>
        label === "rollback wave 2"
          ? failing
          : { kind: "verified", pollsInWindow: 31, windowEndMs: 0 },
    });
    seedVerifiedGood(h.backend);
    const outcome = await runRollback(h.context, { ...REQUEST, mode: "gradual" });
    assert.equal(outcome.kind, "rolled-back");
    assert.deepEqual(h.verifyCalls, [
      "rollback wave 2: Models,Speech",
      "rollback to version 1: Registry,Models,Speech",
    ]);
    assert.ok(
      h.printed.some((line) =>
        /escalating to an immediate rollback: wave 2: health check failures/.test(line),
      ),
    );
  });

  it("reports a rollback whose own verification fails, without marking it", async () => {
    const h = harness({ verdicts: ["rollback"] });
    seedVerifiedGood(h.backend);
    const outcome = await runRollback(h.context, REQUEST);
    assert.equal(outcome.kind, "unverified");
    assert.ok(h.printed.some((line) => /did not pass verification either/.test(line)));
    assert.match(h.backend.history[0].message, /^cascade: rollback/);
  });
});
