import { strict as assert } from "node:assert";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { deployExit } from "../../src/cli/deploy-command";
import { EXIT } from "../../src/cli/errors";
import { rollbackExit } from "../../src/cli/rollback-command";
import {
  metricsFileFor,
  metricsFileProblem,
  processAlive,
  thisProcess,
} from "../../src/cli/rollout-context";

describe("cascade deploy and rollback: files and exit codes", () => {
  it("keeps each verify window's metrics in a file of its own", () => {
    assert.equal(
      metricsFileFor("/var/lib/node/verify.prom", "deploy"),
      "/var/lib/node/verify.prom",
    );
    assert.equal(
      metricsFileFor("/var/lib/node/verify.prom", "rollback"),
      "/var/lib/node/verify.rollback.prom",
    );
    assert.equal(metricsFileFor("verify.prom", "rollback-wave-2"), "verify.rollback-wave-2.prom");
    assert.equal(metricsFileFor("metrics", "rollback"), "metrics.rollback");
  });

  describe("--metrics-file must not make the working tree dirty", () => {
    let repo = "";
    before(() => {
      repo = mkdtempSync(path.join(os.tmpdir(), "cascade-metrics-"));
      execFileSync("git", ["init", "-q"], { cwd: repo });
      writeFileSync(path.join(repo, ".gitignore"), "*.prom\n");
    });
    after(() => rmSync(repo, { recursive: true, force: true }));

    it("refuses a file inside the repository that git does not ignore", () => {
      assert.match(
        metricsFileProblem(path.join(repo, "verify.txt"), repo) ?? "",
        /is inside the repository .* and not ignored by git: .* the next cascade deploy would refuse the dirty tree/,
      );
    });

    it("accepts a file git ignores, or one outside the repository", () => {
      assert.equal(metricsFileProblem(path.join(repo, "verify.prom"), repo), undefined);
      assert.equal(metricsFileProblem(path.join(os.tmpdir(), "cascade.prom"), repo), undefined);
    });
  });

  it("exit codes: 0 verified, 1 refused or cleanly rolled back, 3 a rollback that failed part way, 130 interrupted", () => {
    const verdict = {
      kind: "verified" as const,
      pollsInWindow: 3,
      windowEndMs: 0,
      measurements: { agents: [], errorRate: { source: "none" as const, samples: 0 as const } },
    };
    const rolledBack = (rollback: Parameters<typeof rollbackExit>[0]) =>
      deployExit({ kind: "rolled-back", version: 2, verdict, rollback });
    assert.equal(deployExit({ kind: "verified", version: 2 }), EXIT.ok);
    assert.equal(deployExit({ kind: "error", error: "locked" }), EXIT.failed);
    assert.equal(rolledBack({ kind: "rolled-back", version: 4, target: 1 }), EXIT.failed);
    assert.equal(rolledBack({ kind: "impossible", reason: "x" }), EXIT.failed);
    assert.equal(
      rolledBack({ kind: "failed", target: 1, stage: "restore_old_version", reason: "x" }),
      EXIT.rolloutFailed,
    );
    assert.equal(
      rolledBack({ kind: "unverified", version: 4, target: 1, reason: "x" }),
      EXIT.rolloutFailed,
    );
    assert.equal(rolledBack({ kind: "interrupted", target: 1 }), EXIT.interrupted);
    assert.equal(deployExit({ kind: "interrupted" }), EXIT.interrupted);
    assert.equal(rollbackExit({ kind: "rolled-back", version: 4, target: 1 }), EXIT.ok);
  });
});

describe("the owner of a lease or rollback worktree", () => {
  it("is alive while its process runs, and gone once its pid is another process's", () => {
    const me = thisProcess();
    assert.equal(processAlive(me), true);
    // The same pid, started at another time: the host rebooted, or the pid was reused.
    assert.equal(processAlive({ ...me, start: `${me.start}0` }), false);
    // A record of a cascade before the start was kept: the pid is all there is.
    assert.equal(processAlive({ ...me, start: undefined }), true);
    const gone = spawnSync("true").pid;
    assert.equal(processAlive({ ...me, pid: gone }), false);
    assert.equal(processAlive({ ...me, host: `not-${me.host}` }), undefined);
  });
});
