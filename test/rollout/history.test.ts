import { strict as assert } from "node:assert";
import fc from "fast-check";
import { runDeploy } from "../../src/rollout/deploy";
import { leaseHolder, stackLedger } from "../../src/rollout/history";
import { encodeRecord, type Owner } from "../../src/rollout/record";
import { unmarkVersion } from "../../src/rollout/unmark";
import type { UpdateRecord } from "../../src/rollout/workspace";
import { renderHistory } from "../../src/cli/render-history";
import { harness, seedVerifiedGood, smallFleet } from "./context";

const SITE = { target: "docker", network: "cascade-test" } as const;
const OWNER: Owner = { user: "u", host: "h", pid: 1 };

function entry(version: number, atMs: number, message: string): UpdateRecord {
  return {
    version,
    kind: "refresh",
    result: "succeeded",
    message,
    environment: {},
    config: {},
    startTime: new Date(atMs),
  };
}

const lease = (version: number, atMs: number, run: string, untilMs: number) =>
  entry(
    version,
    atMs,
    encodeRecord("lease", { kind: "lease", run, command: "deploy", owner: OWNER, untilMs }),
  );
const release = (version: number, atMs: number, run: string, released: string) =>
  entry(
    version,
    atMs,
    encodeRecord("release", { kind: "release", run, final: false, released, reason: "gone" }),
  );
const final = (version: number, atMs: number, run: string) =>
  entry(
    version,
    atMs,
    encodeRecord("done", {
      kind: "verdict",
      run,
      final: true,
      update: 1,
      dirty: false,
      result: "unverified",
      reason: "x",
    }),
  );

describe("the stack's history as cascade reads it", () => {
  describe("the lease: one run per stack", () => {
    it("holds from its record to its run's final record", () => {
      const history = [lease(1, 100, "a", 10_000), final(2, 200, "a")];
      assert.equal(leaseHolder(history.slice(0, 1), 150)?.run, "a");
      assert.equal(leaseHolder(history, 250), undefined);
    });

    it("a lease written while another holds is void, and stays void after the first ends", () => {
      const history = [lease(1, 100, "a", 10_000), lease(2, 110, "b", 10_000), final(3, 200, "a")];
      assert.equal(leaseHolder(history.slice(0, 2), 150)?.run, "a");
      assert.equal(leaseHolder(history, 250), undefined);
    });

    it("ends at its deadline, or with a release naming its run", () => {
      assert.equal(leaseHolder([lease(1, 100, "a", 1_000)], 1_001), undefined);
      assert.equal(
        leaseHolder([lease(1, 100, "a", 1_000), lease(2, 2_000, "b", 9_000)], 2_001)?.run,
        "b",
      );
      assert.equal(
        leaseHolder([lease(1, 100, "a", 9_000), release(2, 200, "c", "a")], 300),
        undefined,
      );
      assert.equal(
        leaseHolder([lease(1, 100, "a", 9_000), release(2, 200, "c", "x")], 300)?.run,
        "a",
      );
    });

    it("property: at any moment at most one run holds the stack, and only one whose lease was not void", () => {
      const step = fc.oneof(
        fc.record({
          kind: fc.constant("lease" as const),
          run: fc.constantFrom("a", "b", "c"),
          span: fc.integer({ min: 1, max: 500 }),
        }),
        fc.record({ kind: fc.constant("final" as const), run: fc.constantFrom("a", "b", "c") }),
      );
      fc.assert(
        fc.property(fc.array(step, { maxLength: 20 }), (steps) => {
          const history = steps.map((s, i) =>
            s.kind === "lease"
              ? lease(i + 1, i * 100, s.run, i * 100 + s.span)
              : final(i + 1, i * 100, s.run),
          );
          // Reference: the holder by the rules, step by step.
          let holder: { run: string; until: number } | undefined;
          steps.forEach((s, i) => {
            if (holder && i * 100 > holder.until) holder = undefined;
            if (s.kind === "lease" && !holder) holder = { run: s.run, until: i * 100 + s.span };
            else if (s.kind === "final" && holder?.run === s.run) holder = undefined;
          });
          const now = steps.length * 100;
          const expected = holder && now <= holder.until ? holder.run : undefined;
          return leaseHolder(history, now)?.run === expected;
        }),
      );
    });
  });

  it("lists each update as verified, rolled back or unmarked, with why and what was measured (cascade history)", async () => {
    const h = harness({ verdicts: ["verified", "rollback", "verified"] });
    seedVerifiedGood(h.backend); // 1, record 2
    await runDeploy(h.context, { fleet: smallFleet(), site: SITE, yes: true }); // lease 3, update 4, verdict 5
    await runDeploy(h.context, { fleet: smallFleet(), site: SITE, yes: true }); // 6, update 7 fails, 8, 9, 10 restored, 11
    await unmarkVersion(h.context, 4, "leaks memory after a day"); // 12
    h.backend.foreignUpdate(); // 13
    const ledger = stackLedger(h.backend.history, 9_000_000);
    assert.deepEqual(
      ledger.updates.map((u) => `${u.version} ${u.status}`),
      ["13 not verified", "10 verified", "9 rollback", "7 rolled back", "4 unmarked", "1 verified"],
    );
    const failed = ledger.updates.find((u) => u.version === 7)!;
    assert.match(
      failed.reason,
      /critical service unhealthy: Registry failed 3 polls in a row -> immediate_rollback; rolled back to version 4 \(update 10\)/,
    );
    assert.equal(failed.polls, 31);
    assert.deepEqual(
      failed.rollback?.stages.map((s) => s.status),
      ["done", "skipped", "done", "done"],
    );
    assert.equal(ledger.updates.find((u) => u.version === 4)!.reason, "leaks memory after a day");
    assert.deepEqual(ledger.verifiedGood, [10, 1]);
    const text = renderHistory("test", ledger);
    assert.match(text, /Verified good \(rollback targets, newest first\): 10, 1\./);
    assert.match(text, /^7 +\S+ \S+ +rolled back +update 7 failed|^7 .* rolled back/m);
    assert.match(text, /31 polls; no agent failed; error rate: no data/);
  });
});
