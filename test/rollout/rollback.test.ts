import { strict as assert } from "node:assert";
import { chooseRollbackTarget, leaseHolder } from "../../src/rollout/history";
import type { Verdict } from "../../src/rollout/policy";
import { decodeRecord, encodeRecord } from "../../src/rollout/record";
import { runRollback, type RollbackRequest } from "../../src/rollout/rollback";
import { unmarkVersion } from "../../src/rollout/unmark";
import type { UpdateRecord } from "../../src/rollout/workspace";
import {
  harness,
  historyOf,
  NO_MEASUREMENTS,
  OLD_COMMIT,
  otherLease,
  seedVerifiedGood,
  type Harness,
} from "./context";
import { SEED_ROLLBACK_POLICY } from "../../src/fleet/defaults";
import { EngineError } from "../../src/rollout/workspace";

const REQUEST: RollbackRequest = { yes: true, mode: "immediate", policy: SEED_ROLLBACK_POLICY };

const ups = (h: Harness) => h.backend.calls.filter((call) => call.startsWith("up@"));

describe("cascade rollback (fake workspace)", () => {
  it("takes the stack, rolls back to the last verified-good version, preview first, verifies and records it", async () => {
    const h = harness({ confirm: true });
    seedVerifiedGood(h.backend); // 1 and its record 2
    h.backend.record({
      message: "cascade deploy test",
      environment: { "git.head": "b".repeat(40) },
      config: {},
    }); // 3
    const outcome = await runRollback(h.context, { ...REQUEST, yes: false });
    assert.deepEqual(outcome, { kind: "rolled-back", version: 5, target: 1 });
    assert.deepEqual(
      h.confirmations.map((c) => [c.question, c.options]),
      [["Roll stack test back to version 1?", undefined]],
      "asked by hand: no deadline",
    );
    assert.ok(
      h.printed.some((l) =>
        l.startsWith(
          `Rolling back stack test to version 1 (git ${OLD_COMMIT.slice(0, 12)}, refs/heads/main), immediate`,
        ),
      ),
    );
    const previewAt = h.printed.findIndex((line) => line.startsWith("Preview of the rollback"));
    const stage3 = h.printed.findIndex((line) => line.startsWith("[3/4]"));
    assert.ok(previewAt > 0 && previewAt < stage3, "preview shown before the host changes");
    assert.ok(h.printed.some((line) => line.startsWith("[3/4] terminate_unhealthy_new: skipped")));
    assert.deepEqual(h.verifyCalls, ["rollback to version 1: Registry,Models,Speech"]);
    assert.deepEqual(historyOf(h.backend).slice(3), [
      "record lease",
      "update succeeded: cascade: rollback of stack test to version 1 (git aaaaaaaaaaaa) (run a1b2c3)",
      "record rollback rolled-back (final)",
    ]);
    const record = decodeRecord(h.backend.history[0].message);
    assert.ok(record?.kind === "rollback");
    assert.deepEqual(
      record.stages.map((s) => `${s.stage} ${s.status}`),
      [
        "pause_new_deployment done",
        "route_traffic_to_old skipped",
        "terminate_unhealthy_new skipped",
        "restore_old_version done",
      ],
    );
    assert.equal(record.update, 5);
    assert.equal(leaseHolder(h.backend.history, 2_000_000), undefined);
  });

  it("declining leaves the stack as it is, and is recorded", async () => {
    const h = harness({ confirm: false });
    seedVerifiedGood(h.backend);
    const outcome = await runRollback(h.context, { ...REQUEST, yes: false });
    assert.deepEqual(outcome, { kind: "declined" });
    assert.deepEqual(ups(h), []);
    assert.ok(
      h.printed.some((line) =>
        /Rollback cancelled before terminate_unhealthy_new; stack test is left as it is/.test(line),
      ),
    );
    assert.deepEqual(h.removed, ["worktree-aaaa"]);
    assert.equal(historyOf(h.backend).at(-1), "record rollback declined (final)");
  });

  it("--to picks an older verified-good version and refuses one never verified", async () => {
    const h = harness();
    seedVerifiedGood(h.backend, 1); // 1, 2 (record)
    seedVerifiedGood(h.backend, 3); // 3, 4 (record)
    const refused = await runRollback(h.context, { ...REQUEST, to: 2 });
    assert.ok(refused.kind === "impossible");
    assert.match(
      refused.reason,
      /version 2 of stack test is not verified good; verified-good versions: 3, 1/,
    );
    const outcome = await runRollback(h.context, { ...REQUEST, to: 1 });
    assert.equal(outcome.kind, "rolled-back");
  });

  it("refuses to start while another run holds the stack", async () => {
    const h = harness();
    seedVerifiedGood(h.backend);
    otherLease(h.backend, 9_000_000, { user: "u", host: "elsewhere", pid: 1 });
    const outcome = await runRollback(h.context, REQUEST);
    assert.equal(outcome.kind, "refused");
    assert.deepEqual(h.worktrees, []);
  });

  describe("impossible rollbacks leave the stack as it is", () => {
    const cases: [string, (h: Harness) => void, RegExp][] = [
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
    ];
    for (const [name, arrange, reason] of cases) {
      it(name, async () => {
        const h = harness();
        arrange(h);
        const outcome = await runRollback(h.context, REQUEST);
        assert.ok(outcome.kind === "impossible", JSON.stringify(outcome));
        assert.match(outcome.reason, reason);
        assert.deepEqual(ups(h), []);
        assert.deepEqual(h.worktrees, []);
        assert.match(h.printed.join("\n"), /Stack test is left as it is\./);
        assert.equal(historyOf(h.backend).at(-1), "record rollback impossible (final)");
      });
    }

    it("a commit missing from the repository", async () => {
      const h = harness({ knownCommits: [] });
      seedVerifiedGood(h.backend);
      const outcome = await runRollback(h.context, REQUEST);
      assert.ok(outcome.kind === "impossible");
      assert.match(outcome.reason, /commit a{40} of version 1 is not in this repository; fetch it/);
      assert.deepEqual(h.worktrees, []);
    });
  });

  describe("which version (defects 4 and 8)", () => {
    /** Version 1 verified and clean; version 3 verified, its update `change`d. */
    function twoVerified(change: (update: UpdateRecord) => void) {
      const h = harness();
      seedVerifiedGood(h.backend, 1);
      seedVerifiedGood(h.backend, 3);
      change(h.backend.history.find((u) => u.version === 3)!);
      return h;
    }

    it("falls back past a verified version deployed from a dirty tree to the newest clean one", async () => {
      const h = twoVerified((u) => (u.environment["git.dirty"] = "true"));
      const outcome = await runRollback(h.context, REQUEST);
      assert.deepEqual(outcome, { kind: "rolled-back", version: 6, target: 1 });
      assert.match(
        h.printed.join("\n"),
        /passed over version 3: update 3 of stack test was run from a working tree with uncommitted changes/,
      );
    });

    it("refuses a version whose secret the current key cannot decrypt, naming the key, and falls back", async () => {
      const h = twoVerified(
        (u) =>
          (u.config["cascade:registryPassword"] = {
            value: "ERROR_UNABLE_TO_DECRYPT",
            secret: true,
          }),
      );
      const outcome = await runRollback(h.context, REQUEST);
      assert.equal(outcome.kind, "rolled-back");
      assert.match(
        h.printed.join("\n"),
        /passed over version 3: the config of version 3 holds secret cascade:registryPassword, which the stack's current secrets key cannot decrypt/,
      );
      assert.ok(
        ![...h.backend.configs.values()].some((c) =>
          Object.values(c).some((e) => e.value === "ERROR_UNABLE_TO_DECRYPT"),
        ),
        "never written to a stack file",
      );
      const to3 = chooseRollbackTarget("test", h.backend.history, {
        to: 3,
        commitExists: () => true,
      });
      assert.ok(to3.kind === "impossible");
      assert.match(to3.reason, /secret cascade:registryPassword/);
    });

    it("a version un-marked after it was found bad is never a target again (defect 12)", async () => {
      const h = harness();
      seedVerifiedGood(h.backend, 1);
      seedVerifiedGood(h.backend, 3);
      assert.deepEqual(await unmarkVersion(h.context, 3, "leaks memory after a day"), {
        kind: "unmarked",
        version: 3,
      });
      const outcome = await runRollback(h.context, REQUEST);
      assert.deepEqual(outcome, { kind: "rolled-back", version: 7, target: 1 });
      assert.deepEqual(await unmarkVersion(h.context, 3, "again"), {
        kind: "not-verified",
        version: 3,
        verified: [7, 1],
      });
    });

    it("an un-marking the engine could not record says so, and the version stays a target", async () => {
      const h = harness();
      seedVerifiedGood(h.backend, 1);
      h.backend.beforeRecord = () => {
        throw new EngineError("error: disk full");
      };
      assert.deepEqual(await unmarkVersion(h.context, 1, "leaks memory"), {
        kind: "not-recorded",
        version: 1,
        error: "error: disk full",
      });
      const decision = chooseRollbackTarget("test", h.backend.history, {
        commitExists: () => true,
      });
      assert.equal(decision.kind === "target" && decision.target.version, 1);
    });

    it("counts a marker update of cascade before the record only when it followed its update directly", () => {
      const update = (version: number, message: string, config = {}): UpdateRecord => ({
        version,
        kind: "update",
        result: "succeeded",
        message,
        environment: { "git.head": OLD_COMMIT, "git.dirty": "false" },
        config,
      });
      const marker = (version: number, of: number) =>
        update(version, `cascade: verified-good version ${of}`, {
          "cascade:verifiedGood": { value: String(of) },
        });
      const ok = chooseRollbackTarget("test", [marker(2, 1), update(1, "cascade deploy test")], {
        commitExists: () => true,
      });
      assert.equal(ok.kind === "target" && ok.target.version, 1);
      const late = chooseRollbackTarget(
        "test",
        [marker(3, 1), update(2, "pulumi up by hand"), update(1, "cascade deploy test")],
        { commitExists: () => true },
      );
      assert.equal(late.kind, "impossible");
    });
  });

  it("accepts a rollback update as a target although its stack file was rewritten (git.dirty)", () => {
    const h = harness();
    h.backend.record({
      message: "cascade: rollback of stack test to version 0 (run 123456)",
      environment: { "git.head": OLD_COMMIT, "git.dirty": "true" },
      config: {},
    });
    h.backend.record({
      kind: "refresh",
      message: encodeRecord("rolled back", {
        kind: "rollback",
        run: "123456",
        final: true,
        mode: "immediate",
        reason: "x",
        result: "rolled-back",
        target: 0,
        update: 1,
        stages: [],
      }),
      environment: {},
      config: {},
    });
    const decision = chooseRollbackTarget("test", h.backend.history, { commitExists: () => true });
    assert.equal(decision.kind === "target" && decision.target.version, 1);
  });

  describe("pause_new_deployment never touches another process's lock (defect 2)", () => {
    const lock = {
      description: "created by deploy@ci-7 (pid 4242) at 2026-12-02T01:00:00Z",
      where: "/state/.pulumi/locks/organization/cascade/test/x.json",
    };

    it("waits for an update of another process to finish, then goes on", async () => {
      const h = harness();
      seedVerifiedGood(h.backend);
      h.backend.inFlight = [[lock], [lock], []];
      const outcome = await runRollback(h.context, REQUEST);
      assert.equal(outcome.kind, "rolled-back");
      assert.match(
        h.printed.join("\n"),
        /\[1\/4\] pause_new_deployment: done: stack held by run a1b2c3; waited \d+s for another process's update to finish/,
      );
    });

    it("gives up after a bounded wait: the stage fails naming the lock, nothing changes on the host", async () => {
      const h = harness();
      seedVerifiedGood(h.backend);
      h.backend.inFlight = Array.from({ length: 100 }, () => [lock]);
      const outcome = await runRollback(h.context, REQUEST);
      assert.ok(outcome.kind === "failed");
      assert.equal(outcome.stage, "pause_new_deployment");
      assert.deepEqual(ups(h), []);
      const text = h.printed.join("\n");
      assert.match(
        text,
        /\[1\/4\] pause_new_deployment: failed: another process is updating stack test: created by deploy@ci-7 \(pid 4242\) .* \(\/state\/\.pulumi\/locks\/organization\/cascade\/test\/x\.json\); waited \d+s\. cascade never removes another process's lock/,
      );
      const waited = Number(/waited (\d+)s\. cascade never/.exec(text)?.[1]);
      assert.ok(waited >= 60 && waited < 65, `waited a minute, bounded: ${waited}s`);
      const polls = h.backend.calls.filter((c) => c === "updatesInFlight").length;
      assert.ok(polls > 10 && polls <= 31, `polled every 2 s, not once and not forever: ${polls}`);
      assert.match(text, /\[4\/4\] restore_old_version: not reached/);
    });
  });

  describe("a failing stage is reported, and the summary says how far it got (defect 9)", () => {
    for (const [stage, step] of [
      ["terminate_unhealthy_new", "terminate_unhealthy_new"],
      ["restore_old_version", "wave 2"],
      ["restore_old_version", "to version 1 (git aaaaaaaaaaaa) (run"],
    ] as const) {
      it(`${stage}: the engine fails "${step}"`, async () => {
        const h = harness();
        seedVerifiedGood(h.backend);
        h.backend.beforeUp = (options) => {
          if (options.message?.includes(step)) {
            throw new EngineError("error: docker daemon unreachable");
          }
        };
        const outcome = await runRollback(h.context, {
          ...REQUEST,
          mode: "gradual",
          unhealthy: ["Speech"],
        });
        assert.ok(outcome.kind === "failed", JSON.stringify(outcome));
        assert.equal(outcome.stage, stage);
        const text = h.printed.join("\n");
        assert.match(text, new RegExp(`\\] ${stage}: failed: error: docker daemon unreachable`));
        assert.match(
          text,
          /Rollback of stack test to version 1: failed\n {2}\[1\/4\] pause_new_deployment: done/,
        );
        assert.deepEqual(h.removed, ["worktree-aaaa"]);
        const record = decodeRecord(h.backend.history[0].message);
        assert.ok(record?.kind === "rollback" && record.result === "failed");
        assert.equal(record.stages.find((s) => s.status === "failed")?.stage, stage);
      });
    }
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
    const list = ups(h).map((call) => call.replace(/^up@worktree-aaaa ?/, ""));
    assert.match(
      list[0],
      /targets=.*::Speech replace=.*::Speech message=.*terminate_unhealthy_new/,
    );
    assert.match(list[1], /targets=.*::Models,.*::Speech message=.*: wave 2 \(run a1b2c3\)$/);
    assert.match(list[2], /targets=.*::Registry message=.*: wave 1 \(run a1b2c3\)$/);
    assert.match(
      list[3],
      /^message=cascade: rollback of stack test to version 1 \(git a{12}\) \(run a1b2c3\)$/,
    );
    assert.deepEqual(h.verifyCalls, [
      "rollback wave 2: Models,Speech",
      "rollback wave 1: Registry",
      "rollback to version 1: Registry,Models,Speech",
    ]);
    assert.deepEqual(
      h.verifyRequests.map((r) => r.window),
      ["rollback-wave-2", "rollback-wave-1", "rollback"],
    );
  });

  it("gradual: a wave that fails verification escalates to an immediate rollback", async () => {
    const failing: Verdict = {
      kind: "rollback",
      pollsInWindow: 3,
      windowEndMs: 0,
      measurements: NO_MEASUREMENTS,
      trigger: {
        condition: { kind: "health_check_failures", aboveRatio: 0.5, action: "immediate_rollback" },
        action: "immediate_rollback",
        atMs: 0,
        reason: "health check failures 100% (2/2 agents failing) > 50%",
        failingAgents: ["Models", "Speech"],
      },
    };
    const h = harness({
      verdicts: (label) =>
        label === "rollback wave 2"
          ? failing
          : { kind: "verified", pollsInWindow: 31, windowEndMs: 0, measurements: NO_MEASUREMENTS },
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

  describe("route_traffic_to_old and the targeted stages, per target (defect 11)", () => {
    it("Docker: skipped, saying no router is in front and what moves", async () => {
      const h = harness();
      seedVerifiedGood(h.backend);
      await runRollback(h.context, REQUEST);
      const route = h.printed.find((line) =>
        line.startsWith("[2/4] route_traffic_to_old: skipped"),
      )!;
      assert.match(
        route,
        /skipped: no router in front of the agents on a Docker host: clients reach an agent by its container name on network cascade-test and by its host port/,
      );
    });

    it("Kubernetes: skipped with Service wording; version V's own namespace is verified; every object of an unhealthy agent is rolled back", async () => {
      const h = harness({ settings: { target: "kubernetes", namespace: "ns-of-v1" } });
      seedVerifiedGood(h.backend);
      const group =
        "urn:pulumi:test::cascade::cascade:kubernetes:Fleet$cascade:kubernetes:AgentGroup";
      const objects = [
        `${group}$kubernetes:apps/v1:Deployment::engine-speech`,
        `${group}$kubernetes:core/v1:Service::engine-speech-service`,
        `${group}$kubernetes:core/v1:ConfigMap::engine-speech-models`,
        `${group}$kubernetes:policy/v1:PodDisruptionBudget::engine-speech-pdb`,
      ];
      const outputs = h.backend.outputs as { agents: Record<string, { urns: string[] }> };
      outputs.agents["Speech"].urns = objects;
      h.backend.resources = [...h.backend.resources, ...objects.map((urn) => ({ urn, type: "k" }))];
      const outcome = await runRollback(h.context, { ...REQUEST, unhealthy: ["Speech"] });
      assert.equal(outcome.kind, "rolled-back");
      const route = h.printed.find((line) =>
        line.startsWith("[2/4] route_traffic_to_old: skipped"),
      )!;
      assert.match(
        route,
        /skipped: no router in front of the agents: each agent's Service in namespace ns-of-v1/,
      );
      assert.doesNotMatch(route, /container name|network/);
      const terminate = h.backend.calls.find((call) => call.includes("terminate_unhealthy_new"))!;
      assert.ok(terminate.includes(`targets=${objects.join(",")} message=`), terminate);
      assert.deepEqual(h.verifyRequests[0].site, { target: "kubernetes", namespace: "ns-of-v1" });
    });
  });

  it("reports a rollback whose own verification fails, without recording it verified", async () => {
    const h = harness({ verdicts: ["rollback"] });
    seedVerifiedGood(h.backend);
    const outcome = await runRollback(h.context, REQUEST);
    assert.equal(outcome.kind, "unverified");
    assert.ok(h.printed.some((line) => /did not pass verification either/.test(line)));
    assert.deepEqual(historyOf(h.backend).slice(-2), [
      "update succeeded: cascade: rollback of stack test to version 1 (git aaaaaaaaaaaa) (run a1b2c3)",
      "record rollback unverified (final)",
    ]);
  });
});
