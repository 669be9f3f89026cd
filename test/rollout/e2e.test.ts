import { strict as assert } from "node:assert";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { processAlive, thisProcess } from "../../src/cli/rollout-context";
import { openAutomationWorkspace } from "../../src/rollout/automation-workspace";
import type { RolloutContext, VerifyFn } from "../../src/rollout/context";
import { runDeploy } from "../../src/rollout/deploy";
import type { RolloutEvent } from "../../src/rollout/events";
import { gitRepo } from "../../src/rollout/git";
import {
  chooseRollbackTarget,
  leaseHolder,
  newestUpdate,
  verifiedGoodVersions,
} from "../../src/rollout/history";
import { clearLeftovers } from "../../src/rollout/leftovers";
import { decodeRecord } from "../../src/rollout/record";
import { runRollback } from "../../src/rollout/rollback";
import { writeRecord } from "../../src/rollout/stack-lease";
import type { StackWorkspace } from "../../src/rollout/workspace";
import { renderRolloutEvent } from "../../src/cli/render-rollout";
import { SEED_ROLLBACK_POLICY } from "../../src/fleet/defaults";
import { engineEnv, missingEngine, skipOrFail } from "../support/engine";
import { NO_MEASUREMENTS, smallFleet } from "./context";

/**
 * Deploy and rollback against the real `pulumi` CLI (scripts/build-engine.sh) on a file backend,
 * with a tiny provider-less program in a git repository: what the engine really records (lock
 * files, history, secrets it cannot decrypt, failed updates) and what cascade makes of it. The
 * verify window is stubbed (the agents are not the point here); test/e2e/docker-local.test.ts
 * and test/e2e/k8s-local.test.ts run `cascade deploy` and `cascade rollback` against real agents.
 */

const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const fs = require("fs");
fs.appendFileSync(process.env.E2E_RUNS, "run\\n");
if (process.env.E2E_THROW && !pulumi.runtime.isDryRun()) throw new pulumi.RunError("the program refuses to update");
exports.release = new pulumi.Config().get("release") ?? "1";
if (process.env.E2E_SLOW_MS) {
  exports.slow = new Promise((resolve) => setTimeout(() => resolve(true), Number(process.env.E2E_SLOW_MS)));
}
`;

/** The stubbed window's verdict: verified, over three polls. */
function verifiedResult(request: Parameters<VerifyFn>[0]): Awaited<ReturnType<VerifyFn>> {
  return {
    verdict: {
      kind: "verified",
      pollsInWindow: 3,
      windowEndMs: request.deployEndMs,
      measurements: NO_MEASUREMENTS,
    },
    polls: [],
    metrics: undefined as never,
  };
}

describe("rollout end to end with the Pulumi CLI (tiny program, file backend)", function () {
  this.timeout(10 * 60_000);
  let tmp = "";
  let dir = "";
  let runs = "";
  const saved = { ...process.env };
  const printed: string[] = [];
  let verified = 0;

  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], {
      cwd: dir,
      encoding: "utf8",
    });
  const pulumi = (args: string[], input?: string) =>
    execFileSync("pulumi", [...args, "--non-interactive"], { cwd: dir, encoding: "utf8", input });
  const programRuns = () =>
    existsSync(runs)
      ? execFileSync("wc", ["-l", runs], { encoding: "utf8" }).trim().split(" ")[0]
      : "0";
  const lockDir = () => path.join(tmp, "state", ".pulumi", "locks", "organization", "e2e", "dev");
  const locks = () =>
    existsSync(lockDir())
      ? execFileSync("ls", [lockDir()], { encoding: "utf8" })
          .split("\n")
          .filter((f) => f.endsWith(".json"))
      : [];

  /** A real context on the repository: engine, git, clock; the verify window stubbed. */
  async function context(overrides: Partial<RolloutContext> = {}): Promise<RolloutContext> {
    const verify: VerifyFn = (request) => {
      verified++;
      return Promise.resolve(verifiedResult(request));
    };
    return {
      stack: "dev",
      workspace: await openAutomationWorkspace(dir, "dev"),
      openWorkspace: openAutomationWorkspace,
      git: gitRepo(dir),
      loadVersion: () =>
        Promise.resolve({
          spec: {
            format: "cascade-rollout-spec/1",
            site: { target: "docker", network: "n" },
            policy: SEED_ROLLBACK_POLICY,
            agents: [],
          },
          readBy: "own",
        }),
      verify,
      confirm: () => Promise.resolve(true),
      clock: { now: () => Date.now() },
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      emit: (event: RolloutEvent) => printed.push(renderRolloutEvent(event)),
      run: Math.random().toString(16).slice(2, 8),
      owner: thisProcess(),
      isAlive: processAlive,
      lockWaitMs: 4000,
      ...overrides,
    };
  }

  const deploy = async (overrides: Partial<RolloutContext> = {}, allowDirty = false) =>
    runDeploy(await context(overrides), {
      fleet: smallFleet(),
      site: { target: "docker", network: "n" },
      yes: true,
      allowDirty,
    });

  /** `pulumi up` of another process, slowed down by `ms`; resolves once it holds the lock. */
  async function foreignUpdate(ms: number): Promise<ChildProcess & { done: Promise<number> }> {
    const child = spawn(
      "pulumi",
      ["up", "--yes", "--skip-preview", "--non-interactive", "-m", "by hand"],
      {
        cwd: dir,
        env: { ...process.env, E2E_SLOW_MS: String(ms) },
        stdio: "ignore",
      },
    ) as ChildProcess & { done: Promise<number> };
    child.done = new Promise((resolve) => child.on("close", (code) => resolve(code ?? -1)));
    for (let i = 0; i < 300 && locks().length === 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.equal(locks().length, 1, "the other process holds the engine's lock");
    return child;
  }

  before(function () {
    const missing = missingEngine(["pulumi"]);
    if (missing) return skipOrFail(this, `the real engine is not built (${missing})`);
    Object.assign(process.env, engineEnv());
    tmp = mkdtempSync(path.join(os.tmpdir(), "cascade-e2e-"));
    dir = path.join(tmp, "project");
    runs = path.join(tmp, "runs");
    mkdirSync(dir);
    mkdirSync(path.join(tmp, "state"));
    Object.assign(process.env, {
      PULUMI_BACKEND_URL: `file://${tmp}/state`,
      PULUMI_CONFIG_PASSPHRASE: "e2e",
      PULUMI_HOME: path.join(tmp, "pulumi-home"),
      E2E_RUNS: runs,
    });
    writeFileSync(path.join(dir, "Pulumi.yaml"), "name: e2e\nruntime: nodejs\nmain: index.js\n");
    writeFileSync(path.join(dir, "index.js"), PROGRAM);
    writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "config:\n  e2e:release: '1'\n");
    // The language host runs the program with @pulumi/pulumi from the program's node_modules.
    symlinkSync(path.resolve(__dirname, "../../node_modules"), path.join(dir, "node_modules"));
    writeFileSync(path.join(dir, ".gitignore"), "node_modules\n");
    pulumi(["stack", "init", "dev"]);
    // Committed after `stack init`, which writes the secrets salt into the stack file.
    git("init", "-q", "-b", "main");
    git("add", ".");
    git("commit", "-q", "-m", "e2e");
  });

  after(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    if (tmp && !process.env.CASCADE_E2E_KEEP) rmSync(tmp, { recursive: true, force: true });
  });

  it("records the deploy's lease and verdict as history entries that run no program and change no resource", async () => {
    const outcome = await deploy();
    assert.equal(outcome.kind, "verified", printed.join("\n"));
    const workspace = await openAutomationWorkspace(dir, "dev");
    const history = await workspace.history();
    assert.deepEqual(
      history.map((u) => `${u.kind} ${decodeRecord(u.message)?.kind ?? u.message}`).reverse(),
      ["refresh lease", `update ${history[1].message}`, "refresh verdict"],
    );
    assert.match(history[1].message, /^cascade deploy dev \(run [0-9a-f]+\)$/);
    assert.deepEqual(verifiedGoodVersions(history), [2]);
    assert.deepEqual(history[0].resourceChanges, { same: 1 }, "the record touched no resource");
    const before = { runs: programRuns(), state: JSON.stringify(await workspace.resources()) };
    await writeRecord(await context(), "one more record", {
      kind: "unmark",
      run: "0",
      final: false,
      version: 99,
      reason: "a record of nothing",
    });
    assert.equal(programRuns(), before.runs, "no program run");
    assert.equal(JSON.stringify(await workspace.resources()), before.state);
    assert.equal(git("status", "--porcelain"), "", "the working tree stays clean");
  });

  it("refuses the verified record when someone else's update came during the window", async () => {
    let foreign: Promise<number> | undefined;
    const outcome = await deploy({
      verify: async (request) => {
        foreign = (await foreignUpdate(0)).done;
        assert.equal(await foreign, 0);
        return verifiedResult(request);
      },
    });
    assert.equal(outcome.kind, "superseded", printed.join("\n"));
    const history = await (await openAutomationWorkspace(dir, "dev")).history();
    assert.equal(newestUpdate(history)?.message, "by hand");
    assert.deepEqual(verifiedGoodVersions(history), [2], "the superseded update is not verified");
  });

  it("never removes another process's lock: deploy refuses, a rollback's pause waits a bounded time and fails naming it", async () => {
    const other = await foreignUpdate(25_000);
    try {
      const [lock] = locks();
      const refused = await deploy();
      assert.ok(
        refused.kind === "refused" && refused.refusal.why === "in-flight",
        JSON.stringify(refused),
      );
      assert.match(printed.at(-1)!, new RegExp(`created by \\S+@\\S+ \\(pid ${other.pid}\\)`));
      const rolledBack = await runRollback(await context(), {
        yes: true,
        mode: "immediate",
        from: 0,
      });
      assert.ok(
        rolledBack.kind === "failed" && rolledBack.stage === "pause_new_deployment",
        JSON.stringify(rolledBack),
      );
      assert.match(
        rolledBack.reason,
        /another process is updating stack dev: .*\(pid \d+\).*cascade never removes another process's lock/,
      );
      assert.deepEqual(locks(), [lock], "the other process's lock is still there");
    } finally {
      assert.equal(await other.done, 0, "and its update completes");
    }
    assert.equal(
      newestUpdate(await (await openAutomationWorkspace(dir, "dev")).history())?.result,
      "succeeded",
    );
  });

  it("only an update this run created is verified: a stack locked when the update starts: the engine's error, nothing changed, no window", async () => {
    verified = 0;
    const base = await context({ lockWaitMs: 60_000 });
    let other: (ChildProcess & { done: Promise<number> }) | undefined;
    const workspace: StackWorkspace = Object.create(base.workspace) as StackWorkspace;
    workspace.up = async (options) => {
      other = await foreignUpdate(8_000);
      return base.workspace.up(options);
    };
    const outcome = await runDeploy(
      { ...base, workspace },
      {
        fleet: smallFleet(),
        site: { target: "docker", network: "n" },
        yes: true,
      },
    );
    assert.equal(await other!.done, 0);
    assert.equal(outcome.kind, "error", JSON.stringify(outcome));
    assert.equal(verified, 0, "no verify window");
    assert.match(
      printed.join("\n"),
      /during the update, the engine found the stack locked by another update/,
    );
    assert.equal(leaseHolder(await base.workspace.history(), Date.now()), undefined);
  });

  it("only an update this run created is verified: a wrong passphrase: the engine's error, nothing changed, no window", async () => {
    verified = 0;
    const before = (await (await openAutomationWorkspace(dir, "dev")).history()).length;
    process.env.PULUMI_CONFIG_PASSPHRASE = "not the passphrase";
    try {
      const outcome = await deploy();
      assert.equal(outcome.kind, "error");
      assert.match(printed.join("\n"), /incorrect passphrase/);
    } finally {
      process.env.PULUMI_CONFIG_PASSPHRASE = "e2e";
    }
    assert.equal(verified, 0);
    assert.equal((await (await openAutomationWorkspace(dir, "dev")).history()).length, before);
  });

  it("only an update this run created is verified: a program that fails before creating anything: reported, no window, no rollback", async () => {
    verified = 0;
    process.env.E2E_THROW = "1";
    try {
      const outcome = await deploy();
      assert.equal(outcome.kind, "error", JSON.stringify(outcome));
    } finally {
      delete process.env.E2E_THROW;
    }
    assert.equal(verified, 0);
    const history = await (await openAutomationWorkspace(dir, "dev")).history();
    const failed = history.find((u) => u.kind === "update" && u.result === "failed")!;
    assert.deepEqual(
      failed.resourceChanges,
      { same: 1 },
      "the engine recorded a failed update that changed nothing",
    );
    assert.match(printed.join("\n"), /update \d+ failed before changing anything/);
  });

  it("a dirty tree is refused; --allow-dirty's update is never a rollback target, and a rollback goes to the newest clean one", async () => {
    writeFileSync(path.join(dir, "notes.txt"), "uncommitted\n");
    try {
      const refused = await deploy();
      assert.ok(
        refused.kind === "refused" && refused.refusal.why === "dirty",
        JSON.stringify(refused),
      );
      const dirty = await deploy({}, true);
      assert.equal(dirty.kind, "verified");
    } finally {
      rmSync(path.join(dir, "notes.txt"));
    }
    const history = await (await openAutomationWorkspace(dir, "dev")).history();
    const dirtyUpdate = newestUpdate(history)!;
    assert.equal(dirtyUpdate.environment["git.dirty"], "true");
    const decision = chooseRollbackTarget("dev", history, { commitExists: () => true });
    assert.ok(decision.kind === "target");
    assert.equal(decision.target.version, 2);
    assert.deepEqual(
      decision.skipped.map((s) => s.version),
      [dirtyUpdate.version],
    );
    const outcome = await runRollback(await context(), { yes: true, mode: "immediate" });
    assert.ok(outcome.kind === "rolled-back" && outcome.target === 2, JSON.stringify(outcome));
    assert.doesNotMatch(git("worktree", "list"), /cascade-rollback-/, "the worktree is gone");
  });

  it("the next run clears a killed run's lease and worktree, and leaves a live process's alone", async () => {
    const gone = spawn("true");
    await new Promise((resolve) => gone.on("close", resolve));
    const dead = { ...thisProcess(), pid: gone.pid! };
    const killed = await context({ owner: dead, run: "dead00" });
    await writeRecord(killed, "lease of a run that was killed", {
      kind: "lease",
      run: "dead00",
      command: "rollback",
      owner: dead,
      untilMs: Date.now() + 3_600_000,
    });
    const repo = gitRepo(dir);
    const leftover = repo.addWorktree(git("rev-parse", "HEAD").trim(), dead);
    const live = repo.addWorktree(git("rev-parse", "HEAD").trim(), thisProcess());
    try {
      const next = await context();
      assert.equal(leaseHolder(await next.workspace.history(), Date.now())?.run, "dead00");
      await clearLeftovers(next);
      assert.equal(leaseHolder(await next.workspace.history(), Date.now()), undefined);
      assert.deepEqual(
        repo.rollbackWorktrees().map((w) => w.dir),
        [live.dir],
      );
      assert.ok(!existsSync(leftover.dir));
    } finally {
      live.remove();
    }
  });
  it("refuses a version whose secret the stack's current key cannot decrypt, naming the key", async () => {
    pulumi(["config", "set", "--secret", "e2e:password", "hunter2"]);
    git("commit", "-qam", "a secret");
    const withSecret = await deploy();
    assert.ok(withSecret.kind === "verified");
    // A new passphrase (read from stdin): history keeps values encrypted with the old key.
    pulumi(["stack", "change-secrets-provider", "passphrase"], "rotated\nrotated\n");
    process.env.PULUMI_CONFIG_PASSPHRASE = "rotated";
    git("commit", "-qam", "new secrets key");
    const history = await (await openAutomationWorkspace(dir, "dev")).history();
    const old = history.find((u) => u.version === withSecret.version)!;
    assert.deepEqual(old.config["e2e:password"], {
      value: "ERROR_UNABLE_TO_DECRYPT",
      secret: true,
    });
    const decision = chooseRollbackTarget("dev", history, {
      to: withSecret.version,
      commitExists: () => true,
    });
    assert.ok(decision.kind === "impossible");
    assert.match(
      decision.reason,
      /secret e2e:password, which the stack's current secrets key cannot decrypt/,
    );
  });

  it("reads the whole history, past the page of 10 that `pulumi stack history` returns", async () => {
    const files = readdirSync(path.join(tmp, "state", ".pulumi", "history", "e2e", "dev"));
    const entries = files.filter((f) => f.endsWith(".history.json")).length;
    assert.ok(entries > 10, `${entries} entries: the tests before wrote more than a page`);
    const history = await (await openAutomationWorkspace(dir, "dev")).history();
    assert.equal(history.length, entries);
    assert.deepEqual(
      history.map((u) => u.version),
      Array.from({ length: entries }, (_, i) => entries - i),
    );
    assert.equal(decodeRecord(history.at(-1)!.message)?.kind, "lease", "the first deploy's lease");
  });
});
