import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import type { AgentState, AgentTimeline } from "../../src/rehearse/bringup";
import { createProgress, fitList, waveLine } from "../../src/rehearse/progress";

/** The rehearsal's live progress, without a Docker engine. */

const agent = (name: string, wave: number, state: AgentState): AgentTimeline => ({
  agent: name,
  group: "g",
  wave,
  critical: false,
  dependsOn: [],
  state,
  restarts: 0,
  maxFailingStreak: 0,
  failedProbes: 0,
  waitTimeoutMs: 15_000,
  startPeriodMs: 0,
  probeExecMs: [],
});

function stream(tty: boolean, columns = 120) {
  const out = { text: "" };
  const pass = new PassThrough();
  pass.on("data", (chunk: Buffer) => (out.text += chunk.toString()));
  const writable = Object.assign(pass, { isTTY: tty, columns }) as unknown as NodeJS.WriteStream;
  return { writable, out };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The last frame a TTY progress drew: its lines after the last cursor-up. */
const lastFrame = (text: string): string[] =>
  text
    .split(/\x1b\[\d+A/)
    .pop()!
    .split("\n")
    .map((line) => line.replace(/\x1b\[2K/g, ""))
    .filter(Boolean);

describe("rehearsal progress", () => {
  const wave = [
    ...Array.from({ length: 12 }, (_, i) => agent(`HealthyAgentNumber${i}`, 3, "healthy")),
    agent("SlowModelServer", 3, "starting"),
    agent("TranslationService", 3, "creating"),
    ...Array.from({ length: 5 }, (_, i) => agent(`WaitingAgent${i}`, 3, "waiting")),
  ];

  it("a wave too wide for the terminal is summarised: what it waits on, the furthest along first", () => {
    const line = waveLine(3, wave, 119);
    assert.ok(line.length <= 119, line);
    assert.match(
      line,
      /^wave 3 \[12\/19\] waiting on SlowModelServer \(starting\), TranslationService \(creating\), WaitingAgent0 \(waiting\) \+4 more$/,
    );
  });

  it("a wave that fits lists every agent with its state", () => {
    const line = waveLine(1, [agent("A", 1, "healthy"), agent("B", 1, "starting")], 119);
    assert.equal(line, "wave 1 [1/2] ✓ A  … B");
  });

  it("names a failed agent in the summary", () => {
    const failed = [...wave.slice(0, 18), agent("CrashingAgent", 3, "exited")];
    assert.match(waveLine(3, failed, 100), /failed: CrashingAgent \(exited\)/);
  });

  it("fitList keeps what fits and counts the rest", () => {
    assert.equal(fitList(["a", "b", "c"], 20), "a, b, c");
    assert.equal(fitList(["alpha", "beta", "gamma"], 14), "alpha +2 more");
  });

  it("on a TTY the header leaves the upload behind once agents move, and the clock runs", async () => {
    const { writable, out } = stream(true);
    const progress = createProgress(writable);
    const agents = [agent("Registry", 1, "waiting"), agent("Core", 1, "waiting")];
    progress.onEvent({ kind: "fleet", at: 0, agents });
    progress.onEvent({ kind: "phase", at: 5, message: "uploading 2 files into the files volume" });
    progress.onEvent({ kind: "state", at: 900, agent: { ...agents[0], state: "healthy" } });
    await sleep(700);
    progress.finish();
    const [header, line] = lastFrame(out.text);
    assert.match(header, /^rehearsal (\d+\.\d+)s {2}1\/2 healthy, 1 waiting$/);
    assert.ok(Number(/rehearsal (\d+\.\d+)s/.exec(header)![1]) >= 1.4, header);
    assert.equal(line, "wave 1 [1/2] ✓ Registry  · Core");
  });

  it("without a TTY, a quiet spell gets a line saying what it waits on", async () => {
    const { writable, out } = stream(false);
    const progress = createProgress(writable, 200);
    const agents = [agent("Registry", 1, "healthy"), agent("Core", 1, "starting")];
    progress.onEvent({ kind: "fleet", at: 0, agents });
    await sleep(500);
    progress.finish();
    assert.match(
      out.text,
      /\n +\d+\.\d+s {2}1\/2 healthy, 1 starting; waiting on Core \(starting\)\n/,
    );
  });
});
