import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import path from "node:path";
import { isMap, isPair, isScalar, isSeq, parseDocument, visit, type Pair } from "yaml";
import { loadFleet } from "../../src/fleet/loader";
import type { Agent, Fleet } from "../../src/fleet/model";
import { planFleet } from "../../src/fleet/planner";

/**
 * Where the seed leaves a choice open (inferred dependencies, critical flags, the PC2 ordering,
 * the timing of agents it gives none), the shipped files make it and say why, next to the value.
 * These tests read the files with their comments, so a choice without its reason fails.
 */

const ROOT = path.join(__dirname, "..", "..");
const HOSTS = ["mainpc", "pc2"] as const;

function load(host: (typeof HOSTS)[number]): Fleet {
  return loadFleet(path.join(ROOT, "fleet", `${host}.yaml`), {
    stack: host,
    gpuAvailable: host === "mainpc",
  });
}

const documentOf = (file: string) => parseDocument(readFileSync(path.join(ROOT, file), "utf8"));

interface Edge {
  agent: string;
  dependency: string;
  comment: string;
}

/** Every depends_on entry of a fleet file with the comment on its own line. */
function edges(file: string): Edge[] {
  const found: Edge[] = [];
  visit(documentOf(file), {
    Map(_, map) {
      const name = map.get("name");
      const dependsOn = map.get("depends_on", true);
      if (typeof name !== "string" || dependsOn === undefined) return;
      assert.ok(isSeq(dependsOn), `${file}: ${name}: depends_on`);
      for (const item of dependsOn.items) {
        assert.ok(isScalar(item), `${file}: ${name}: depends_on entry`);
        found.push({
          agent: name,
          dependency: String(item.value),
          comment: (item.comment ?? "").trim(),
        });
      }
    },
  });
  return found;
}

/** Every `critical:` of a fleet file (group or agent), with its reason: inline or just above. */
function criticalFlags(file: string): { owner: string; reason: string }[] {
  const flags: { owner: string; reason: string }[] = [];
  visit(documentOf(file), {
    Pair(_, pair, path) {
      if (!isScalar(pair.key) || pair.key.value !== "critical") return;
      // An agent's map has a name; a group's is the value of the pair keyed by its name.
      const [holder, map] = path.slice(-2);
      const owner = String(
        (isMap(map) && map.get("name")) ||
          (isPair(holder) && isScalar(holder.key) && holder.key.value),
      );
      const value = pair.value as { comment?: string } | null;
      const reason = `${pair.key.commentBefore ?? ""} ${value?.comment ?? ""}`.trim();
      flags.push({ owner, reason });
    },
  });
  return flags;
}

/** Where each file sets `critical`: groups and agents. */
const CRITICAL_FLAGS = {
  mainpc: [
    "core_platform",
    "ModelManagerSuite",
    "ModelOrchestrator",
    "RequestCoordinator",
    "NLUAgent",
    "Responder",
  ],
  pc2: ["core_services", "UnifiedUtilsAgent", "AuthenticationAgent"],
};

describe("the seed's open choices, made and explained in the shipped files", () => {
  for (const host of HOSTS) {
    describe(host, () => {
      const file = `fleet/${host}.yaml`;
      let fleet: Fleet;
      let byName: Map<string, Agent>;
      before(() => {
        fleet = load(host);
        byName = new Map(fleet.agents.map((a) => [a.name, a]));
      });

      it("gives every dependency edge its source and reason on its own line", () => {
        const listed = edges(file);
        assert.equal(
          listed.length,
          fleet.agents.reduce((n, a) => n + a.dependsOn.length, 0),
          "every edge is an entry of its own",
        );
        for (const edge of listed) {
          assert.match(
            edge.comment,
            /^(seed|inferred): \S.{10,}/,
            `${edge.agent} -> ${edge.dependency}: "# seed: ..." or "# inferred: <reason>"`,
          );
        }
      });

      it("keeps a wave's agents together: edges inside a wave are the seed's only (5.1)", () => {
        for (const edge of edges(file)) {
          const sameWave = byName.get(edge.agent)!.wave === byName.get(edge.dependency)!.wave;
          if (sameWave) {
            assert.match(edge.comment, /^seed:/, `${edge.agent} -> ${edge.dependency}`);
          }
        }
      });

      it("starts every agent without a seed edge inside its wave when the wave before is healthy", () => {
        const plan = planFleet(fleet, "waves");
        const seedEdgeInWave = new Set(
          edges(file)
            .filter((e) => byName.get(e.agent)!.wave === byName.get(e.dependency)!.wave)
            .map((e) => e.agent),
        );
        for (const wave of plan.waves.slice(1)) {
          const starts = plan.agents
            .filter((a) => a.wave === wave.index && !seedEdgeInWave.has(a.name))
            .map((a) => a.startBySeconds);
          assert.equal(new Set(starts).size, 1, `${wave.name} starts together: ${starts.join()}`);
          assert.equal(starts[0], plan.waves[wave.index - 2].readyBySeconds, wave.name);
        }
      });

      it("says why each agent or group is critical, or not", () => {
        const flags = criticalFlags(file);
        assert.deepEqual(
          flags.map((f) => f.owner),
          CRITICAL_FLAGS[host],
        );
        for (const { owner, reason } of flags) {
          assert.ok(reason.length >= 20, `critical flag of ${owner} has no reason next to it`);
        }
      });
    });
  }

  describe("mainpc timing and models", () => {
    let fleet: Fleet;
    const agent = (name: string): Agent => fleet.agents.find((a) => a.name === name)!;
    before(() => (fleet = load("mainpc")));

    it("gives the ai_engine agents the seed names no check of their own cascade-ai-engine's timing (4.1)", () => {
      for (const name of [
        "ModelOrchestrator",
        "STTService",
        "TTSService",
        "FaceRecognitionAgent",
      ]) {
        const h = agent(name).health;
        assert.deepEqual(
          [h.intervalSeconds, h.timeoutSeconds, h.retries, h.startPeriodSeconds],
          [15, 10, 5, 180],
          name,
        );
      }
      // 1.2 gives ModelManagerSuite and VRAMOptimizerAgent everything but retries: 4.1's.
      assert.equal(agent("ModelManagerSuite").health.retries, 5);
      assert.equal(agent("VRAMOptimizerAgent").health.retries, 5);
    });

    it("keeps the large models on demand, as seed 5.2 does", () => {
      for (const a of fleet.agents.filter((x) => x.models)) {
        for (const model of ["whisper-large-v3", "xtts-v2"]) {
          assert.ok(!a.models!.preload.includes(model), `${a.name} preloads ${model}`);
        }
      }
      assert.deepEqual(agent("STTService").models!.onDemand, ["whisper-large-v3"]);
      assert.deepEqual(agent("TTSService").models!.onDemand, ["xtts-v2"]);
    });
  });

  describe("PC2's ordering (Pulumi.pc2.yaml)", () => {
    it("follows the seed's phases and says why next to the value", () => {
      let ordering: Pair | undefined;
      visit(documentOf("Pulumi.pc2.yaml"), {
        Pair(_, pair) {
          if (isScalar(pair.key) && pair.key.value === "cascade:ordering") ordering = pair;
        },
      });
      assert.ok(ordering && isScalar(ordering.value) && isScalar(ordering.key));
      assert.equal(ordering.value.value, "waves");
      assert.match(ordering.key.commentBefore ?? "", /seed/);
      assert.match(ordering.key.commentBefore ?? "", /cascade plan --stack pc2 --ordering/);
    });

    it("loses no time to the other ordering, as its reason says", () => {
      const fleet = load("pc2");
      const waves = planFleet(fleet, "waves");
      const dependencies = planFleet(fleet, "dependencies");
      assert.equal(waves.criticalPath.seconds, dependencies.criticalPath.seconds);
      assert.deepEqual(waves.criticalPath.agents.slice(0, 3), [
        "ObservabilityHub",
        "ResourceManager",
        "AsyncProcessor",
      ]);
    });
  });
});
