import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { rehearse, RehearsalInterrupted, ROOT, dockerClient } from "../../src/rehearse/run";
import { failureMessage, type RehearsalReport } from "../../src/rehearse/report";
import type { ScenarioName } from "../../src/rehearse/scenarios";
import type { AgentTimeline } from "../../src/rehearse/bringup";
import { REHEARSAL_LABEL } from "../../src/rehearse/scale";
import { removeLocalStacks } from "../support/local-stacks";

/**
 * The rehearsal's scenarios on a real dockerd (scripts/dockerd.sh start, needs root and
 * docker.io) with the stand-in image (scripts/build-standin-image.sh). The 6-agent fixture fleet
 * keeps CI fast; all-healthy also runs the whole mainpc fleet once.
 */

const STACK_FILE = path.join("test", "rehearse", "fixtures", "stack.yaml");

function fixture(
  scenario: ScenarioName,
  extra: Partial<Parameters<typeof rehearse>[0]> = {},
): Promise<RehearsalReport> {
  return rehearse({
    stack: "rehearsal",
    stackFile: STACK_FILE,
    scale: 0.25,
    scenario,
    keep: false,
    ...extra,
  });
}

const byAgent = (report: RehearsalReport, name: string) =>
  report.agents.find((a) => a.agent === name)!;

/** Every agent healthy, started only once its dependencies were; some created ahead of that. */
function assertStartedInOrder(report: RehearsalReport): void {
  let createdAhead = 0;
  for (const agent of report.agents) {
    assert.equal(agent.state, "healthy", agent.agent);
    assert.ok(agent.createdMs! <= agent.startedMs!, `${agent.agent} started before created`);
    for (const dependency of agent.dependsOn) {
      const { passingProbe, healthyMs } = byAgent(report, dependency);
      // Docker's own times: the process started after the dependency's probe passed.
      const startedAfter = agent.processStartedMs! >= passingProbe!.endMs;
      assert.ok(startedAfter, `${agent.agent} started before ${dependency} was healthy`);
      if (agent.createdMs! < healthyMs!) createdAhead++;
    }
  }
  assert.ok(createdAhead > 0, "no container was created ahead of its dependencies' health");
}

async function leftovers(runId: string): Promise<number> {
  const containers = await dockerClient().listContainers({
    all: true,
    filters: { label: [`${REHEARSAL_LABEL}=${runId}`] },
  });
  return containers.length;
}

describe("cascade rehearse on a real Docker engine", function () {
  this.timeout(240_000);

  before(async function () {
    this.timeout(600_000);
    execFileSync(path.join(ROOT, "scripts", "dockerd.sh"), ["start"], { stdio: "inherit" });
    execFileSync(path.join(ROOT, "scripts", "build-standin-image.sh"), [], { stdio: "inherit" });
    // A killed docker-engine lane leaves its test stacks (local-mainpc, local-pc2), which hold
    // mainpc's ports; that lane deploys and destroys them anyway.
    await removeLocalStacks(dockerClient());
  });

  it("all-healthy: the fixture fleet comes up in dependency order and is removed", async () => {
    const report = await fixture("all-healthy");
    assert.equal(report.outcome, "healthy");
    assertStartedInOrder(report);
    assert.deepEqual(report.criticalPath.measured.agents, [
      "Registry",
      "Core",
      byAgent(report, "Reporter").waitedOn,
      "Reporter",
    ]);
    assert.ok(
      report.allHealthyMs! >= report.criticalPath.boundMs,
      "faster than the planner's best case",
    );
    assert.equal(await leftovers(report.runId), 0);
  });

  it("all-healthy: the whole mainpc fleet at scale 0.05", async () => {
    const report = await rehearse({
      stack: "mainpc",
      scale: 0.05,
      scenario: "all-healthy",
      keep: false,
      ordering: "dependencies",
    });
    assert.equal(report.outcome, "healthy", report.failure && failureMessage(report.failure));
    assert.equal(report.agents.length, 35);
    assertStartedInOrder(report);
    assert.ok(
      report.allHealthyMs! >= report.criticalPath.boundMs,
      "faster than the planner's bound",
    );
    assert.equal(await leftovers(report.runId), 0);
    console.log(
      `      mainpc: all healthy ${report.allHealthyMs} ms, bound ${report.criticalPath.boundMs} ms (intervals >= ${report.minIntervalMs} ms)`,
    );
  });

  it("interrupted: stops with RehearsalInterrupted, after removing every container it created", async () => {
    const controller = new AbortController();
    let timelines: AgentTimeline[] = [];
    const interrupted = fixture("all-healthy", {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.kind === "fleet") timelines = event.agents;
        if (event.kind === "state" && event.agent.state === "healthy") controller.abort();
      },
    });
    await assert.rejects(interrupted, RehearsalInterrupted);
    const created = timelines.flatMap((t) => (t.containerId === undefined ? [] : [t.containerId]));
    assert.ok(created.length > 1, `created before the interruption: ${created.length}`);
    const left = await dockerClient().listContainers({ all: true });
    assert.deepEqual(
      left.filter((container) => created.includes(container.Id)),
      [],
    );
  });

  it("never-healthy: the rollout stops at the agent and names it, its output and its dependents", async () => {
    const report = await fixture("never-healthy", { target: "Core" });
    assert.equal(report.outcome, "failed");
    const failure = report.failure!;
    assert.equal(failure.agent, "Core");
    assert.deepEqual([...failure.waitingOnIt].sort(), ["Helper", "Worker"]);
    assert.deepEqual([...failure.notStarted].sort(), ["Helper", "Reporter", "Worker"]);
    assert.match(failure.lastHealthOutput ?? "", /unhealthy/);
    for (const name of failure.notStarted) assert.equal(byAgent(report, name).startedMs, undefined);
    assert.equal(await leftovers(report.runId), 0);
  });

  it("crash-loop: the restart policy restarts it and the restarts are counted", async () => {
    const report = await fixture("crash-loop", { target: "Core" });
    assert.equal(report.outcome, "failed");
    const core = byAgent(report, "Core");
    assert.ok(core.restarts >= 1, `restarts ${core.restarts}`);
    assert.ok(core.restarts <= 3, "on-failure max 3 (fixture restart max_attempts)");
    assert.match(report.failure!.message, /restarted \d+ times/);
  });

  it("slow-model-load: probes after the start period fail and count, and it ends as the plan predicts", async () => {
    const report = await fixture("slow-model-load", { target: "Loader" });
    const loader = byAgent(report, "Loader");
    assert.equal(report.prediction!.outcome, "healthy");
    assert.equal(loader.state, "healthy");
    assert.ok(
      loader.failedProbes >= 1,
      `failed probes after the start period: ${loader.failedProbes}`,
    );
    // Docker counts a failing probe toward `retries` only after the start period: its streak is ours.
    assert.ok(
      Math.abs(loader.maxFailingStreak - loader.failedProbes) <= 1,
      `streak ${loader.maxFailingStreak} vs ${loader.failedProbes}`,
    );
    assert.ok(loader.healthyMs! - loader.startedMs! <= report.prediction!.worstMs + 1000);
  });

  it("dependency-dies: dependents report unhealthy or degraded by criticality and the breaker opens", async () => {
    const report = await fixture("dependency-dies", { target: "Core" });
    const effects = new Map(report.afterEffects!.map((e) => [e.agent, e]));
    assert.equal(effects.get("Worker")!.status, "unhealthy");
    assert.equal(effects.get("Worker")!.breakerOpen, true);
    assert.equal(effects.get("Worker")!.dockerHealth, "unhealthy");
    assert.equal(effects.get("Helper")!.status, "degraded");
    assert.equal(effects.get("Helper")!.breakerOpen, true);
  });

  it("optional-stage-fails: degraded, and the rollout goes on", async () => {
    const report = await fixture("optional-stage-fails", { target: "Helper" });
    assert.equal(report.outcome, "healthy");
    assert.equal(byAgent(report, "Helper").state, "degraded");
    assert.equal(byAgent(report, "Reporter").state, "healthy");
  });

  it("hanging-health: Docker's timeout applies and the rollout stops", async () => {
    const report = await fixture("hanging-health", { target: "Registry" });
    assert.equal(report.outcome, "failed");
    assert.equal(report.failure!.agent, "Registry");
    assert.match(report.failure!.lastHealthOutput ?? "", /timed out|timeout|deadline|exceeded/i);
    assert.equal(report.agents.filter((a) => a.startedMs !== undefined).length, 1);
  });
});
