import { strict as assert } from "node:assert";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EXIT } from "../../src/cli/errors";

const ROOT = path.join(__dirname, "../..");

/**
 * A process that runs `withInterrupts` like cascade deploy and rollback do: the run waits for
 * the abort, then puts things in order (for `cleanupMs`, or forever when it is negative) and
 * returns exit 130, as deployExit does for an interrupted run.
 */
const PROGRAM = (cleanupMs: number) => `
import { withInterrupts } from ${JSON.stringify(path.join(ROOT, "src/cli/signals.ts"))};
void withInterrupts(
  (signal) =>
    new Promise<number>((resolve) => {
      signal.addEventListener("abort", () => {
        console.log("aborted: cleaning up");
        if (${cleanupMs} >= 0) setTimeout(() => (console.log("cleaned up"), resolve(130)), ${cleanupMs});
      });
      console.log("running");
    }),
).then((code) => process.exit(code));
setInterval(() => undefined, 1000);
`;

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Started {
  child: ChildProcess;
  /** What the process printed so far. */
  stdout(): string;
  ended: Promise<Ended>;
}

function start(cleanupMs: number, dir: string): Started {
  const file = path.join(dir, `run-${cleanupMs}.ts`);
  writeFileSync(file, PROGRAM(cleanupMs));
  const child = spawn(process.execPath, ["--import", "tsx", file], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const ended = new Promise<Ended>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, stdout: () => stdout, ended };
}

/** Waits (15 s at most) until the process printed `text`. */
async function printed(run: Started, text: string): Promise<void> {
  for (let i = 0; i < 300 && !run.stdout().includes(text); i++)
    await new Promise((r) => setTimeout(r, 50));
  assert.ok(run.stdout().includes(text), `the process printed "${text}":\n${run.stdout()}`);
}

describe("SIGINT and SIGTERM during a run (real child processes)", function () {
  this.timeout(30_000);
  let dir = "";
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), "cascade-signals-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const name of ["SIGINT", "SIGTERM"] as const) {
    it(`${name}: the run is aborted, puts things in order, and the process exits 130`, async () => {
      const run = start(200, dir);
      await printed(run, "running");
      run.child.kill(name);
      const result = await run.ended;
      assert.equal(result.code, EXIT.interrupted);
      assert.match(result.stdout, /aborted: cleaning up\ncleaned up/);
      assert.match(result.stderr, new RegExp(`${name}: stopping; putting the stack in order`));
    });
  }

  it("a second signal exits 130 at once, without waiting for the clean-up", async () => {
    const run = start(-1, dir);
    await printed(run, "running");
    run.child.kill("SIGINT");
    await printed(run, "aborted");
    run.child.kill("SIGTERM");
    const result = await run.ended;
    assert.equal(result.code, EXIT.interrupted);
    assert.doesNotMatch(result.stdout, /cleaned up/);
    assert.match(
      result.stderr,
      /SIGTERM again: exiting now; the next cascade run clears what is left/,
    );
  });
});
