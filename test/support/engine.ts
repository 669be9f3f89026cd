import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import path from "node:path";

/**
 * The real engine for end-to-end tests: which components scripts/build-engine.sh has built, the
 * environment it prints, and one rule for what a test does when something it needs is missing. On
 * a developer machine it skips, saying what to install or build. In CI (.ci/run sets CASCADE_CI=1)
 * it fails, so that CI never passes without running it, with one exception CI prints: the engine's
 * build ran out of its time budget (CASCADE_ENGINE_BUDGET_SPENT=1), when real-engine tests skip.
 */

export const ROOT = path.resolve(__dirname, "../..");

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs one of scripts/, synchronously. */
export function script(name: string, args: string[], env: NodeJS.ProcessEnv = process.env): Run {
  const r = spawnSync("bash", [path.join(ROOT, "scripts", name), ...args], {
    encoding: "utf8",
    env,
  });
  return { status: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** Runs a command asynchronously (so mocha's timeout still works), capturing its output. */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

/** `r`, after asserting it exited 0 (the message carries the tail of its output). */
export function ok(r: Run, what: string): Run {
  if (r.status !== 0) {
    throw new Error(
      `${what} failed (${r.status}):\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`,
    );
  }
  return r;
}

/** `export NAME="value"` lines, as scripts/build-engine.sh env and scripts/k8s-local.sh env print them. */
export function parseExports(text: string, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...base };
  for (const line of text.split("\n")) {
    const m = /^export ([A-Z_][A-Z0-9_]*)="?(.*?)"?$/.exec(line.trim());
    if (!m) continue;
    env[m[1]] = m[2].replace(/\$([A-Z_]+)/g, (_, name: string) => env[name] ?? "");
  }
  return env;
}

/** Why the given engine components cannot be used, or undefined when all are built. */
export function missingEngine(components: string[]): string | undefined {
  const check = script("build-engine.sh", ["check", ...components]);
  if (check.status === 0) return undefined;
  return `${check.stdout.trim() || check.stderr.trim()}: run scripts/build-engine.sh build (docs/real-engine.md)`;
}

/** The process environment with the engine's PATH and switches (scripts/build-engine.sh env). */
export function engineEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return parseExports(ok(script("build-engine.sh", ["env"]), "build-engine.sh env").stdout, base);
}

/**
 * Skips the suite for `reason`, or fails it in CI. `needs` says what is missing: the real
 * engine (which CI may not have finished building, see above) or anything else CI installs.
 */
export function skipOrFail(
  suite: Mocha.Context,
  reason: string,
  needs: "engine" | "system" = "engine",
): void {
  const budgetSpent = needs === "engine" && process.env.CASCADE_ENGINE_BUDGET_SPENT === "1";
  if (process.env.CASCADE_CI === "1" && !budgetSpent) {
    throw new Error(`CI runs this suite (CASCADE_CI=1), but ${reason}`);
  }
  console.log(`      skipped: ${reason}`);
  suite.skip();
}

/** assert.match, but a failure shows the whole output (assert.match cuts long input short). */
export function assertPrinted(output: string, pattern: RegExp): void {
  assert.match(output, pattern, `expected ${pattern} in the output:\n${output}`);
}
