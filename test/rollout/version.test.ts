import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { FleetError } from "../../src/fleet/loader";
import { gitRepo } from "../../src/rollout/git";
import { loadVersionSpec, specFromThisCode } from "../../src/rollout/version";
import type { StackConfig } from "../../src/rollout/workspace";

const ROOT = path.resolve(__dirname, "../..");
const OWNER = { user: "t", host: os.hostname(), pid: process.pid };

/**
 * Version N is read by version N's own code: a git repository holding a copy of cascade, where
 * version N knew a setting this checkout no longer does. cascade rollback runs `cascade
 * rollout-spec` of N's worktree with N's recorded config.
 */
describe("a version's spec, read by that version's own code", function () {
  this.timeout(60_000);
  let dir = "";
  let old = "";
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], {
      cwd: dir,
      encoding: "utf8",
    });
  const settingsFile = () => path.join(dir, "src/stack/settings.ts");

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "cascade-version-"));
    for (const entry of ["src", "fleet", "package.json", "tsconfig.json", "Pulumi.yaml"]) {
      cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
    }
    symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    writeFileSync(path.join(dir, ".gitignore"), "node_modules\n");
    // Version N: its settings knew `cascade:legacyKey`, since removed.
    const today = readFileSync(settingsFile(), "utf8");
    writeFileSync(
      settingsFile(),
      today.replace(
        "  fleet: z.string().min(1),",
        "  fleet: z.string().min(1),\n  legacyKey: z.string().optional(),",
      ),
    );
    git("init", "-q", "-b", "main");
    git("add", ".");
    git("commit", "-qm", "version N");
    old = git("rev-parse", "HEAD").trim();
    writeFileSync(settingsFile(), today);
    git("commit", "-qam", "legacyKey removed");
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const config: StackConfig = {
    "cascade:fleet": { value: "fleet/mainpc.yaml" },
    "cascade:gpu": { value: "true" },
    "cascade:target": { value: "kubernetes" },
    "cascade:namespace": { value: "agents-of-n" },
    "cascade:legacyKey": { value: "kept" },
  };

  it("parses N's settings and fleet with N's code, where this checkout's code refuses them", async () => {
    const worktree = gitRepo(dir).addWorktree(old, OWNER);
    try {
      assert.throws(
        () => specFromThisCode(worktree.dir, "mainpc", config),
        (error: unknown) =>
          error instanceof FleetError && /cascade:legacyKey/.test(error.errors.join("\n")),
      );
      const loaded = await loadVersionSpec(worktree.dir, "mainpc", config);
      assert.equal(loaded.readBy, "own");
      assert.deepEqual(loaded.spec.site, { target: "kubernetes", namespace: "agents-of-n" });
      assert.equal(loaded.spec.agents.length, 35);
      assert.equal(loaded.spec.policy.healthCheckWindowSeconds, 300);
      const registry = loaded.spec.agents.find((a) => a.name === "ServiceRegistry");
      assert.deepEqual(registry && [registry.critical, registry.wave], [true, 1]);
    } finally {
      worktree.remove();
    }
  });

  it("reads a version older than `cascade rollout-spec` with this checkout's code, and says so", async () => {
    rmSync(path.join(dir, "src/cli/main.ts"));
    git("commit", "-qam", "a version without the cli");
    const worktree = gitRepo(dir).addWorktree(git("rev-parse", "HEAD").trim(), OWNER);
    try {
      const current = Object.fromEntries(
        Object.entries(config).filter(([key]) => key !== "cascade:legacyKey"),
      );
      const loaded = await loadVersionSpec(worktree.dir, "mainpc", current);
      assert.equal(loaded.readBy, "this");
      assert.equal(loaded.spec.site.target, "kubernetes");
    } finally {
      worktree.remove();
    }
  });
});
