import { strict as assert } from "node:assert";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cascade } from "../support/cli";

/**
 * What a new user meets on the command line, with real child processes run from a directory
 * that is not the checkout: every command works there, a misspelled stack is named the way
 * `plan` names it, and flags that cannot go together are usage errors before anything runs.
 */

const STACKS = /the stacks here are "k8s-local", "local-mainpc", "local-pc2", "mainpc", "pc2"\./;

describe("cascade from any directory, with typos and wrong flags", function () {
  this.timeout(60_000);
  let elsewhere = "";

  before(() => {
    elsewhere = mkdtempSync(path.join(os.tmpdir(), "cascade-cwd-"));
  });
  after(() => rmSync(elsewhere, { recursive: true, force: true }));

  it("plan works outside the checkout", async () => {
    const run = await cascade(["plan", "--stack", "pc2"], { cwd: elsewhere });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^stack pc2: 25 agents in 2 waves/);
  });

  for (const command of [
    ["plan"],
    ["rehearse"],
    ["deploy", "--yes"],
    ["rollback", "--yes"],
    ["demo"],
  ]) {
    it(`${command[0]} names a misspelled stack and the one meant, before anything else`, async () => {
      // No Docker engine and no pulumi on PATH: the stack is checked before either is needed.
      const run = await cascade([...command, "--stack", "mainpcc"], {
        cwd: elsewhere,
        env: { ...process.env, PATH: "/usr/bin:/bin", DOCKER_HOST: "unix:///nonexistent.sock" },
      });
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /Pulumi\.mainpcc\.yaml: no such stack file; /);
      assert.match(run.stderr, STACKS);
      assert.match(run.stderr, /Did you mean "mainpc"\?\n$/);
      assert.doesNotMatch(run.stderr, /ENOENT|\n\s+at /);
    });
  }

  it("rollback --to abc is a usage error before the engine is looked up", async () => {
    const run = await cascade(["rollback", "--stack", "pc2", "--to", "abc", "--yes"], {
      env: { ...process.env, PATH: "/usr/bin:/bin" },
    });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^--to must be a positive whole number, not "abc"/);
  });

  it("plan --json --mermaid is a usage error, not JSON", async () => {
    const run = await cascade(["plan", "--stack", "pc2", "--json", "--mermaid"]);
    assert.equal(run.code, 2);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /^give only one of --json, --mermaid\n/);
  });

  it("plan --head without --diff is a usage error", async () => {
    const run = await cascade(["plan", "--stack", "pc2", "--head", "HEAD"]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^--head REF goes with --diff BASE_REF/);
  });

  it("plan --help names every flag it takes", async () => {
    const run = await cascade(["plan", "--help"]);
    assert.equal(run.code, 0);
    for (const flag of ["--stack", "--fleet", "--ordering", "--json", "--mermaid", "--diff"])
      assert.ok(run.stdout.includes(flag), flag);
    assert.match(run.stdout, /--head REF/);
    assert.match(run.stdout, /--report FILE/);
  });

  it("plan --mermaid marks the critical path: its agents of class critical, its steps ==>", async () => {
    const json = await cascade(["plan", "--stack", "pc2", "--json"]);
    const path_ = (JSON.parse(json.stdout) as { criticalPath: { agents: string[] } }).criticalPath
      .agents;
    const run = await cascade(["plan", "--stack", "pc2", "--mermaid"]);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^ {2}classDef critical /m);
    const critical = [...run.stdout.matchAll(/^ {4}(\w+)\["\w+"\]:::critical$/gm)].map((m) => m[1]);
    assert.deepEqual(critical.sort(), [...path_].sort());
    const thick = [...run.stdout.matchAll(/^ {2}(\w+) ==> (\w+)$/gm)].map((m) => [m[1], m[2]]);
    assert.deepEqual(
      thick,
      path_.slice(1).map((to, i) => [path_[i], to]),
    );
  });

  it("plan --report FILE writes one page, relative to the working directory", async () => {
    const run = await cascade(["plan", "--stack", "mainpc", "--report", "plan.html"], {
      cwd: elsewhere,
    });
    assert.equal(run.code, 0, run.stderr);
    const file = path.join(elsewhere, "plan.html");
    assert.equal(run.stderr, `report: ${file}\n`);
    assert.ok(existsSync(file));
    const html = readFileSync(file, "utf8");
    assert.match(html, /^<!doctype html>/);
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=/, "nothing loaded from outside");
    assert.match(html, /"ServiceRegistry"/);
  });

  it("demo without a Docker engine prints the plan, says why, and exits 0", async () => {
    const run = await cascade(["demo"], {
      cwd: elsewhere,
      env: { ...process.env, DOCKER_HOST: "unix:///nonexistent.sock" },
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /^Not rehearsing: no Docker engine is reachable \(start one with /);
    assert.match(run.stdout, /^stack mainpc: 35 agents in 5 waves/);
  });
});
