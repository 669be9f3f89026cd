import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { closedPort } from "../health/fixture-server";

/** The stand-in as its own process (the bundle the image runs): crashing, restarts, listen delay. */
describe("stand-in agent process", () => {
  let bundle: string;
  let workDir: string;
  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), "standin-process-"));
    bundle = join(workDir, "standin.js");
    await build({
      entryPoints: [join(__dirname, "../../src/standin/main.ts")],
      bundle: true,
      platform: "node",
      target: "node22",
      outfile: bundle,
      logLevel: "warning",
    });
  });

  interface Run {
    child: ChildProcess;
    events: { event: string }[];
    exit: Promise<number | null>;
  }

  function run(env: Record<string, string>): Run {
    const child = spawn(process.execPath, [bundle], { env: { PATH: process.env["PATH"], ...env } });
    const events: { event: string }[] = [];
    let buffered = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) events.push(JSON.parse(line) as { event: string });
    });
    const exit = new Promise<number | null>((resolve) =>
      child.once("exit", (code) => resolve(code)),
    );
    return { child, events, exit };
  }

  it("crashes with the configured exit code after CASCADE_CRASH_AFTER_MS", async () => {
    const port = await closedPort();
    const started = Date.now();
    const { events, exit } = run({
      CASCADE_SERVICE_PORT: String(port),
      CASCADE_CRASH_AFTER_MS: "400",
      CASCADE_CRASH_EXIT_CODE: "3",
    });
    assert.equal(await exit, 3);
    assert.ok(Date.now() - started >= 400);
    assert.deepEqual(events.map((e) => e.event).sort(), [
      "crash",
      "listening",
      "serving",
      "startup_complete",
    ]);
    assert.equal(events.at(-1)?.event, "crash");
  });

  it("counts restarts by the reason the previous run left in CASCADE_STATE_FILE", async () => {
    const stateFile = join(workDir, "state.json");
    const port = await closedPort();
    const env = { CASCADE_SERVICE_PORT: String(port), CASCADE_STATE_FILE: stateFile };
    assert.equal(await run({ ...env, CASCADE_CRASH_AFTER_MS: "100" }).exit, 1);
    const second = run(env);
    try {
      let metrics = "";
      const deadline = Date.now() + 5000;
      while (
        !/cascade_restarts_total\{[^}]*reason="crash"\} 1/.test(metrics) &&
        Date.now() < deadline
      ) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then(
          (r) => r.text(),
          () => "",
        );
      }
      assert.match(metrics, /^cascade_restarts_total\{service="standin",reason="crash"\} 1$/m);
    } finally {
      second.child.kill("SIGTERM");
      assert.equal(await second.exit, 0);
    }
  });

  it("does not listen before CASCADE_LISTEN_DELAY_MS", async () => {
    const port = await closedPort();
    const started = Date.now();
    const { child, events, exit } = run({
      CASCADE_SERVICE_PORT: String(port),
      CASCADE_LISTEN_DELAY_MS: "500",
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      await assert.rejects(fetch(`http://127.0.0.1:${port}/health`), /fetch failed/);
      while (!events.some((e) => e.event === "listening"))
        await new Promise((resolve) => setTimeout(resolve, 20));
      assert.ok(Date.now() - started >= 500);
      assert.equal((await fetch(`http://127.0.0.1:${port}/health/startup`)).status, 200);
    } finally {
      child.kill("SIGTERM");
      await exit;
    }
  });
});
