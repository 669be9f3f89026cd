import assert from "node:assert/strict";
import type Docker from "dockerode";
import { RehearsalAborted } from "../../src/rehearse/abort";
import { bringUp, type BringUpResult } from "../../src/rehearse/bringup";
import type { RehearsalAgent, RehearsalFleet } from "../../src/rehearse/specs";
import { rehearsalAgent } from "../support/rehearsal-agent";

/**
 * The bring-up's order against a fake engine that answers at once: what is created and started
 * when, relative to the dependencies' health. The real engine's version is scenarios.test.ts.
 */

type Op = { op: "create" | "start" | "healthy"; agent: string; at: number };

interface Engine {
  /** How long each create takes. */
  createMs?: number;
  /** The agent whose create fails. */
  failCreate?: string;
  /** How long after its start an agent turns healthy (default 20 ms). */
  healthyAfterMs?: number;
  /** Called when the bring-up first sees an agent healthy. */
  onHealthy?: (agent: string) => void;
}

/**
 * Just what the bring-up asks of Docker (with pollMs set: inspects, no events); every agent
 * healthy soon after its start.
 */
function fakeDocker(engine: Engine): { docker: Docker; ops: Op[] } {
  const ops: Op[] = [];
  const record = (op: Op["op"], agent: string) => ops.push({ op, agent, at: performance.now() });
  const container = (agent: string) => {
    let startedAt: number | undefined;
    let healthy = false;
    return {
      id: agent,
      start: () => {
        startedAt = Date.now();
        record("start", agent);
        return Promise.resolve();
      },
      inspect: () => {
        const due =
          startedAt !== undefined && Date.now() >= startedAt + (engine.healthyAfterMs ?? 20);
        if (due && !healthy) {
          healthy = true;
          record("healthy", agent);
          engine.onHealthy?.(agent);
        }
        return Promise.resolve({
          RestartCount: 0,
          State: {
            Status: "running",
            ExitCode: 0,
            StartedAt: new Date(startedAt ?? Date.now()).toISOString(),
            Health: { Status: healthy ? "healthy" : "starting", FailingStreak: 0, Log: [] },
          },
        });
      },
    };
  };
  const docker = {
    createContainer: async (options: { Labels: Record<string, string> }) => {
      const agent = options.Labels["cascade.agent"];
      await new Promise((resolve) => setTimeout(resolve, engine.createMs ?? 0));
      if (agent === engine.failCreate) throw new Error("Conflict: the container name is in use");
      record("create", agent);
      return container(agent);
    },
  };
  return { docker: docker as unknown as Docker, ops };
}

const agent = (name: string, dependsOn: string[] = []): RehearsalAgent =>
  rehearsalAgent(name, dependsOn, { name, labels: [{ label: "cascade.agent", value: name }] });

function run(
  agents: RehearsalAgent[],
  engine: Engine = {},
  signal = new AbortController().signal,
): { ops: Op[]; result: Promise<BringUpResult> } {
  const { docker, ops } = fakeDocker(engine);
  const fleet: RehearsalFleet = { stack: "test", agents, skipped: [] };
  const result = bringUp(fleet, {
    docker,
    runId: "test",
    scale: 1,
    minIntervalMs: 1000,
    image: "standin",
    startConcurrency: 1,
    pollMs: 1,
    root: ".",
    extraEnv: () => ({}),
    signal,
    onEvent: () => undefined,
    t0: performance.now(),
  });
  return { ops, result };
}

const at = (ops: Op[], op: Op["op"], name: string): number | undefined =>
  ops.find((o) => o.op === op && o.agent === name)?.at;

describe("the rehearsal's bring-up, against a fake engine", () => {
  // Registry -> Core -> Worker, and Registry -> Helper.
  const fleet = [
    agent("Registry"),
    agent("Core", ["Registry"]),
    agent("Worker", ["Core"]),
    agent("Helper", ["Registry"]),
  ];

  it("starts an agent only once its dependencies are healthy; its container is created ahead", async () => {
    const { ops, result } = run(fleet);
    assert.notEqual((await result).allHealthyMs, undefined);
    for (const { name, dependsOn } of fleet)
      for (const dependency of dependsOn)
        assert.ok(at(ops, "start", name)! > at(ops, "healthy", dependency)!, `${name} too early`);
    assert.ok(at(ops, "create", "Worker")! < at(ops, "healthy", "Registry")!, "Worker not ahead");
    assert.ok(at(ops, "start", "Core")! < at(ops, "start", "Helper")!, "the longer path second");
  });

  it("a start goes ahead of the creates not made yet, the longest path ahead first", async () => {
    const leaves = Array.from({ length: 6 }, (_, i) => agent(`Leaf${i}`, ["Registry"]));
    const [registry, ...rest] = fleet;
    const { ops, result } = run([registry, ...leaves, ...rest], { createMs: 20 });
    assert.notEqual((await result).allHealthyMs, undefined);
    const coreStart = at(ops, "start", "Core")!;
    for (const leaf of leaves) assert.ok(coreStart < at(ops, "start", leaf.name)!, leaf.name);
    // Registry was healthy before every create ahead was made: starts made their own.
    const registryHealthy = at(ops, "healthy", "Registry")!;
    assert.ok(leaves.some((leaf) => at(ops, "create", leaf.name)! > registryHealthy));
  });

  it("a failed create fails its agent at its start, and nothing after it starts", async () => {
    const { ops, result } = run(fleet, { failCreate: "Core" });
    const { failure, timelines } = await result;
    assert.equal(failure?.agent, "Core");
    assert.match(failure.message, /in use/);
    assert.deepEqual(failure.notStarted, ["Worker"]);
    assert.equal(timelines.find((t) => t.agent === "Worker")?.state, "not-started");
    assert.equal(at(ops, "start", "Worker"), undefined);
  });

  it("interrupted: rejects with RehearsalAborted and starts nothing after the interruption", async () => {
    const controller = new AbortController();
    let abortedAt = Infinity;
    const onHealthy = (name: string) => {
      if (name !== "Registry") return;
      abortedAt = performance.now();
      controller.abort();
    };
    const { ops, result } = run(fleet, { onHealthy }, controller.signal);
    await assert.rejects(result, RehearsalAborted);
    assert.deepEqual(
      ops.filter((o) => o.op === "start" && o.at > abortedAt),
      [],
    );
  });
});
