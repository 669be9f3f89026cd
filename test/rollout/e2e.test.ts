import { strict as assert } from "node:assert";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { openAutomationWorkspace } from "../../src/rollout/automation-workspace";
import { chooseRollbackTarget, MARKER_KEY } from "../../src/rollout/history";
import { recordVerifiedGood } from "../../src/rollout/marker";
import { guardStackFile } from "../../src/rollout/stack-file-guard";

/**
 * The Automation API layer against a real `pulumi` CLI, on a local file backend and a tiny
 * program without providers: up, history (with git metadata), the verified-good marker, and
 * the stack file left byte for byte as it was. Skipped where no `pulumi` is on PATH.
 */
const hasPulumi = spawnSync("pulumi", ["version"], { stdio: "ignore" }).status === 0;

describe("rollout end to end with the Pulumi CLI", function () {
  this.timeout(180_000);
  let dir = "";

  before(function () {
    if (!hasPulumi) {
      console.log(
        '      skipped: no "pulumi" CLI on PATH (build one with scripts/build-engine.sh, then eval "$(scripts/build-engine.sh env)")',
      );
      this.skip();
    }
    dir = mkdtempSync(path.join(os.tmpdir(), "cascade-e2e-"));
    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: dir });
    writeFileSync(path.join(dir, "Pulumi.yaml"), "name: e2e\nruntime: nodejs\nmain: index.js\n");
    writeFileSync(path.join(dir, "index.js"), "exports.answer = 42;\n");
    writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "config:\n  e2e:greeting: hello # kept\n");
    // The language host runs the program with @pulumi/pulumi from the program's node_modules.
    symlinkSync(path.resolve(__dirname, "../../node_modules"), path.join(dir, "node_modules"));
    writeFileSync(path.join(dir, ".gitignore"), "node_modules\n.state\n");
    mkdirSync(path.join(dir, ".state"));
    process.env.PULUMI_BACKEND_URL = `file://${dir}/.state`;
    process.env.PULUMI_CONFIG_PASSPHRASE = "e2e";
    execFileSync("pulumi", ["stack", "init", "dev", "--non-interactive"], {
      cwd: dir,
      stdio: "ignore",
    });
    // Committed after `stack init`, which writes the secrets salt into the stack file, so the
    // updates run from a clean tree and can be rolled back to.
    git("init", "-q", "-b", "main");
    git("add", ".");
    git("commit", "-q", "-m", "e2e");
  });

  after(() => {
    delete process.env.PULUMI_BACKEND_URL;
    delete process.env.PULUMI_CONFIG_PASSPHRASE;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("records an update with git metadata and a verified-good marker update", async () => {
    const workspace = await openAutomationWorkspace(dir, "dev");
    const preview = await workspace.preview();
    assert.ok(typeof preview.diff === "string");
    const up = await workspace.up({ message: "cascade deploy dev" });
    assert.equal(up.outputs.answer, 42);
    const before = readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8");
    const marker = await recordVerifiedGood(
      { stack: "dev", guardStackFile },
      workspace,
      up.version,
      undefined,
    );
    const history = await workspace.history();
    const verified = history.find((u) => u.version === up.version)!;
    assert.match(verified.environment["git.head"] ?? "", /^[0-9a-f]{40}$/);
    const markerUpdate = history.find((u) => u.version === marker)!;
    assert.equal(markerUpdate.config[MARKER_KEY]?.value, String(up.version));
    assert.match(markerUpdate.message, /^cascade: verified-good version /);
    assert.ok(
      up.version > 0 && marker > up.version,
      "updates are numbered, even on a file backend",
    );
    const target = chooseRollbackTarget("dev", history);
    assert.deepEqual(target.ok ? target.target.version : target.reason, up.version);
    const after = readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8");
    assert.equal(after, before, "stack file restored byte for byte");
  });
});
