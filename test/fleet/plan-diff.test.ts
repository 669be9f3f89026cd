import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseFleet } from "../../src/fleet/loader";
import { changedAgents, diffPlans, type PlanSide } from "../../src/fleet/plan-diff";
import { planFleet } from "../../src/fleet/planner";
import { planDiffReport } from "../../src/cli/plan-diff-report";
import { planDiffMermaid } from "../../src/cli/render-plan-diff";
import { fleetYaml, type AgentYaml, type GroupYaml } from "../support/fleet-builder";

const REGISTRY: AgentYaml = { name: "Registry", healthPort: 8200, check: { interval: "5s" } };
const MODELS: AgentYaml = {
  name: "Models",
  healthPort: 8211,
  dependsOn: ["Registry"],
  gpu: true,
  models: {
    preload: ["phi-2"],
    on_demand: ["xtts-v2"],
    cache_strategy: { max_models_in_memory: 2 },
  },
  check: { interval: "10s", start_period: "120s" },
};
const OLD: AgentYaml = { name: "Old", healthPort: 8212 };

/** Registry in wave 1; Models (on Registry, GPU, models) and Old in `engineWave`. */
function baseFleet(engineWave: GroupYaml["wave"] = "wave_2"): string {
  return fleetYaml("t", {
    core: { wave: "wave_1", critical: true, agents: [REGISTRY] },
    engine: { wave: engineWave, agents: [MODELS, OLD] },
  });
}

const BASE = baseFleet();

/** BASE with Models slower to start, without its GPU, with room for 3 models; Old gone, Speech added. */
const HEAD = fleetYaml("t", {
  core: { wave: "wave_1", critical: true, agents: [REGISTRY] },
  engine: {
    wave: "wave_2",
    agents: [
      {
        ...MODELS,
        gpu: false,
        models: { ...MODELS.models, cache_strategy: { max_models_in_memory: 3 } },
        check: { ...MODELS.check, start_period: "180s" },
      },
      { name: "Speech", healthPort: 8213, dependsOn: ["Models"] },
    ],
  },
});

function side(text: string): PlanSide {
  const fleet = parseFleet(text, "fleet/t.yaml", { gpuAvailable: true });
  return { fleet, plan: planFleet(fleet, "dependencies") };
}

describe("plan diff", () => {
  it("is empty for the same fleet", () => {
    const diff = diffPlans(side(BASE), side(BASE));
    assert.equal(changedAgents(diff).size, 0);
    assert.deepEqual(diff.removed, []);
    assert.equal(diff.criticalPath.changed, false);
  });

  it("finds added and removed agents, health, GPU and model changes, and the critical path", () => {
    const diff = diffPlans(side(BASE), side(HEAD));
    assert.deepEqual(diff.added, ["Speech"]);
    assert.deepEqual(diff.removed, ["Old"]);
    assert.deepEqual(diff.healthChanges, [
      { agent: "Models", changes: ["start_period: 120s -> 180s"] },
    ]);
    assert.deepEqual(diff.gpuChanges, [{ agent: "Models", changes: ["gpu: count 1 -> none"] }]);
    assert.deepEqual(diff.modelChanges, [
      { agent: "Models", changes: ["max_models_in_memory: 2 -> 3"] },
    ]);
    assert.equal(diff.criticalPath.changed, true);
    assert.deepEqual(diff.criticalPath.after.agents, ["Registry", "Models", "Speech"]);
  });

  it("finds wave moves and gate changes", () => {
    const moved = baseFleet("wave_1");
    const base = parseFleet(BASE, "f.yaml", { gpuAvailable: true });
    const head = parseFleet(moved, "f.yaml", { gpuAvailable: true });
    const diff = diffPlans(
      { fleet: base, plan: planFleet(base, "waves") },
      { fleet: head, plan: planFleet(head, "waves") },
    );
    assert.deepEqual(
      diff.waveMoves.map((m) => `${m.agent} ${m.from}->${m.to}`),
      ["Models wave_2->wave_1", "Old wave_2->wave_1"],
    );
    assert.ok(
      diff.gateChanges.some(
        (c) => c.agent === "Old" && c.changes[0] === "no longer waits for Registry",
      ),
    );
  });

  it("highlights added, changed and removed agents in the Mermaid graph", () => {
    const head = side(HEAD);
    const mermaid = planDiffMermaid(diffPlans(side(BASE), head), head.plan);
    assert.match(mermaid, /^flowchart LR/);
    assert.match(mermaid, /class Speech added/);
    assert.match(mermaid, /class Models changed/);
    assert.match(mermaid, /subgraph removed_agents\["removed"\]\n {4}Old\["Old"\]/);
    assert.match(mermaid, /class Old removed/);
    assert.match(mermaid, /linkStyle \d+(,\d+)* stroke:#cf222e/);
  });

  it("renders the change between two commits of a git repository (cascade plan --diff)", () => {
    const repo = mkdtempSync(path.join(os.tmpdir(), "cascade-plan-diff-test-"));
    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], {
        cwd: repo,
        encoding: "utf8",
      });
    try {
      git("init", "-q", "-b", "main");
      mkdirSync(path.join(repo, "fleet"));
      writeFileSync(
        path.join(repo, "Pulumi.t.yaml"),
        "config:\n  cascade:fleet: fleet/t.yaml\n  cascade:gpu: true\n  cascade:ordering: dependencies\n",
      );
      writeFileSync(path.join(repo, "fleet/t.yaml"), BASE);
      git("add", ".");
      git("commit", "-q", "-m", "base");
      writeFileSync(path.join(repo, "fleet/t.yaml"), HEAD);
      git("commit", "-q", "-am", "head");
      const fail = () => {
        throw new Error("the working tree must not be read when --head is given");
      };
      const markdown = planDiffReport(repo, "HEAD~1", "HEAD", { stack: "t" }, fail);
      assert.match(markdown, /^### cascade plan: stack t, HEAD~1 -> HEAD/);
      assert.match(markdown, /\*\*Agents added\*\*\n\n- `Speech`/);
      assert.match(markdown, /\*\*Agents removed\*\*\n\n- `Old`/);
      assert.match(
        markdown,
        /\*\*Health gate changes\*\*\n\n- `Models`: start_period: 120s -> 180s/,
      );
      assert.match(markdown, /\*\*GPU changes\*\*\n\n- `Models`: gpu: count 1 -> none/);
      assert.match(
        markdown,
        /\*\*Model config changes\*\*\n\n- `Models`: max_models_in_memory: 2 -> 3/,
      );
      assert.match(markdown, /- after: Registry -> Models -> Speech/);
      assert.match(markdown, /```mermaid\nflowchart LR[\s\S]*class Speech added[\s\S]*```$/);
      const same = planDiffReport(repo, "HEAD", "HEAD", { stack: "t" }, fail);
      assert.match(same, /No change to the startup plan\./);
      assert.throws(
        () => planDiffReport(repo, "nope", "HEAD", { stack: "t" }, fail),
        /"nope" is not a commit/,
      );
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
