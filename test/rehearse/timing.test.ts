import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import type { AgentTimeline } from "../../src/rehearse/bringup";
import { createProgress } from "../../src/rehearse/progress";
import { rehearsalBounds } from "../../src/rehearse/bounds";
import { pathBreakdown } from "../../src/rehearse/report";
import {
  firstPassingProbeMs,
  intervalFloorMs,
  MIN_INTERVAL_MS,
  scaledTiming,
} from "../../src/rehearse/scale";
import type { ContainerInputs, RehearsalFleet } from "../../src/rehearse/specs";
import { rehearsalAgent } from "../support/rehearsal-agent";

/** The rehearsal's timing rules and its TTY view, without a Docker engine. */

const inputs = (interval: string, extra: Partial<ContainerInputs> = {}): ContainerInputs => ({
  name: "x",
  healthcheck: { tests: ["CMD", "true"], interval, timeout: "5s", retries: 3, startPeriod: "10s" },
  waitTimeout: 60,
  ...extra,
});

/** A critical agent of wave 1 whose health check runs every `interval`. */
const agent = (name: string, dependsOn: string[], interval = "10s") =>
  rehearsalAgent(name, dependsOn, inputs(interval));

const timeline = (
  agent: string,
  wave: number,
  fields: Partial<AgentTimeline> = {},
): AgentTimeline => ({
  agent,
  group: "g",
  wave,
  critical: true,
  dependsOn: [],
  state: "waiting",
  restarts: 0,
  maxFailingStreak: 0,
  failedProbes: 0,
  probeExecMs: [],
  waitTimeoutMs: 15_000,
  startPeriodMs: 0,
  ...fields,
});

describe("rehearsal timing", () => {
  it("floors the interval so the fleet's probe rate fits the host", () => {
    assert.equal(intervalFloorMs(6, 2), MIN_INTERVAL_MS);
    assert.equal(intervalFloorMs(35, 2), 4400);
    assert.equal(intervalFloorMs(35, 8), 1100);
    assert.equal(scaledTiming(inputs("10s"), 0.05, 4400).intervalMs, 4400);
    assert.equal(scaledTiming(inputs("10s"), 1, 4400).intervalMs, 10_000);
  });

  it("waits at least the agent's worst case with the floored timings, plus a margin", () => {
    const timing = scaledTiming(inputs("10s"), 0.05, 4400);
    assert.equal(timing.waitTimeoutMs, timing.startPeriodMs + 3 * (4400 + timing.timeoutMs) + 5000);
  });

  it("bounds each agent by its first passing probe, and the fleet by the longest path", () => {
    const timing = scaledTiming(inputs("10s"), 0.1);
    assert.equal(firstPassingProbeMs(timing), 1000);
    assert.equal(
      firstPassingProbeMs({ intervalMs: 1000, startupDelayMs: 800, modelLoadMs: 700 }),
      2000,
    );
    const fleet: RehearsalFleet = {
      stack: "s",
      agents: [agent("A", []), agent("B", ["A"], "20s"), agent("C", ["A"]), agent("D", ["C"])],
      skipped: [],
    };
    assert.deepEqual(rehearsalBounds(fleet, 0.1).best, { ms: 3000, agents: ["A", "B"] });
    assert.deepEqual(rehearsalBounds(fleet, 0.1, 2000).best.agents.length, 3);
  });

  it("the worst case uses the floored timings too, so it is never below the best case", () => {
    const fleet: RehearsalFleet = {
      stack: "s",
      agents: [agent("A", []), agent("B", ["A"]), agent("C", ["B"])],
      skipped: [],
    };
    // Scale 0.01 with a 4.4 s floor: the planner's worst case merely scaled, 3 agents x (10 s +
    // 3 x (10 s + 5 s)) x 0.01 = 1.65 s, is far below the floored best case, 3 x 4.4 s (the
    // issue's "worst path 15.00s" under "best case 19.20s").
    const bounds = rehearsalBounds(fleet, 0.01, 4400);
    assert.equal(bounds.best.ms, 3 * 4400);
    const timing = scaledTiming(inputs("10s"), 0.01, 4400);
    const perAgent = timing.startPeriodMs + timing.retries * (timing.intervalMs + timing.timeoutMs);
    assert.deepEqual(bounds.worst, { ms: 3 * perAgent, agents: ["A", "B", "C"] });
    for (const name of ["A", "B", "C"])
      assert.ok(bounds.agents[name].bestMs <= bounds.agents[name].worstMs, name);
    assert.ok(bounds.best.ms <= bounds.worst.ms);
  });

  it("splits the measured path into engine, probe and poll time", () => {
    const timelines = [
      timeline("A", 1, {
        requestedMs: 100,
        processStartedMs: 400,
        passingProbe: { startMs: 1400, endMs: 1450 },
        healthyMs: 1500,
      }),
      timeline("B", 2, {
        requestedMs: 1510,
        processStartedMs: 1700,
        passingProbe: { startMs: 3700, endMs: 3800 },
        healthyMs: 3900,
      }),
    ];
    assert.deepEqual(
      pathBreakdown(timelines, ["A", "B"], () => 1000),
      {
        setupMs: 100,
        engineMs: 490,
        probeWaitMs: 3000,
        probeExecMs: 150,
        pollMs: 150,
        schedulingMs: 10,
        lateProbesMs: 1000,
      },
    );
  });
});

describe("rehearsal progress on a TTY", () => {
  it("lists every agent as waiting before any is created", async () => {
    const stream = Object.assign(new PassThrough(), {
      isTTY: true,
      columns: 120,
    }) as unknown as NodeJS.WriteStream;
    let out = "";
    (stream as unknown as PassThrough).on("data", (chunk: Buffer) => (out += chunk.toString()));
    const progress = createProgress(stream);
    const agents = [timeline("Registry", 1), timeline("Core", 1), timeline("Worker", 2)];
    progress.onEvent({ kind: "fleet", at: 0, agents });
    progress.onEvent({ kind: "state", at: 10, agent: { ...agents[0], state: "creating" } });
    progress.finish();
    await new Promise((resolve) => setImmediate(resolve));
    assert.match(out, /wave 1 \[0\/2\] \+ Registry {2}· Core/);
    assert.match(out, /wave 2 \[0\/1\] · Worker/);
  });
});
