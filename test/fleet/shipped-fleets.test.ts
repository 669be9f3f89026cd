import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { loadFleet } from "../../src/fleet/loader";
import type { Agent, Fleet } from "../../src/fleet/model";

/**
 * The two fleets cascade ships, checked against the seed document
 * (shared/seeds/000_14bd3a445c04157e.txt). Everything the seed names or states is written out
 * here from the seed text, so a fleet file that drops or moves any of it fails.
 */

const FLEET_DIR = path.join(__dirname, "..", "..", "fleet");

/** Seed 1.1: MainPC startup waves, with the group each named agent belongs to. */
const MAINPC_SEED_AGENTS: Record<string, { wave: string; group: string; agents: string[] }> = {
  wave_1: {
    wave: "wave_1",
    group: "core_platform",
    agents: ["ServiceRegistry", "SystemDigitalTwin", "ObservabilityHub", "UnifiedSystemAgent"],
  },
  wave_2: {
    wave: "wave_2",
    group: "ai_engine",
    agents: [
      "ModelManagerSuite",
      "VRAMOptimizerAgent",
      "ModelOrchestrator",
      "STTService",
      "TTSService",
      "FaceRecognitionAgent",
    ],
  },
  wave_3: {
    wave: "wave_3",
    group: "request_processing",
    agents: [
      "RequestCoordinator",
      "NLUAgent",
      "IntentionValidatorAgent",
      "GoalManager",
      "AdvancedCommandHandler",
      "Responder",
    ],
  },
  wave_4: {
    wave: "wave_4",
    group: "memory_learning",
    agents: ["MemoryClient", "SessionMemoryAgent", "KnowledgeBase", "LearningOrchestrationService"],
  },
};

/** Seed 1.1: the wave_5 groups, "(all agents)": the seed names no agent, so all are stand-ins. */
const MAINPC_WAVE_5_GROUPS = ["audio_realtime", "personality", "auxiliary"];

/** Seed 1.1 windows (wave comments). */
const MAINPC_WINDOWS: [string, number, number][] = [
  ["wave_1", 0, 60],
  ["wave_2", 60, 180],
  ["wave_3", 180, 240],
  ["wave_4", 240, 300],
  ["wave_5", 300, 360],
];

/** Seed 2.1: PC2 phases, parallel and sequential parts. */
const PC2_SEED_AGENTS = {
  phase_1: {
    parallel: ["ObservabilityHub", "MemoryOrchestratorService"],
    sequential: ["ResourceManager", "AsyncProcessor", "CacheManager", "UnifiedUtilsAgent"],
  },
  phase_2: {
    parallel: [
      "TieredResponder",
      "DreamWorldAgent",
      "UnifiedMemoryReasoningAgent",
      "TutorAgent",
      "ContextManager",
      "ExperienceTracker",
      "TaskScheduler",
      "AuthenticationAgent",
      "AgentTrustScorer",
      "FileSystemAssistantAgent",
      "VisionProcessingAgent",
    ],
    sequential: [
      "ProactiveContextMonitor",
      "DreamingModeAgent",
      "AdvancedRouter",
      "RemoteConnectorAgent",
      "UnifiedWebAgent",
    ],
  },
} as const;

const PC2_WINDOWS: [string, number, number][] = [
  ["phase_1", 0, 60],
  ["phase_2", 60, 120],
];

/** Every ordering the seed states, as [agent, must come after]. */
const MAINPC_SEED_ORDERINGS: [string, string][] = [
  // 1.1 wave_1 comments
  ["SystemDigitalTwin", "ServiceRegistry"],
  ["ObservabilityHub", "SystemDigitalTwin"],
  ["UnifiedSystemAgent", "SystemDigitalTwin"],
  // 1.1 wave_2 comments and 1.2 VRAMOptimizerAgent's dependency check
  ["VRAMOptimizerAgent", "ModelManagerSuite"],
  ["ModelOrchestrator", "ModelManagerSuite"],
];

const PC2_SEED_ORDERINGS: [string, string][] = [
  // 2.1 phase_1 sequential: "Depends on X"
  ["ResourceManager", "ObservabilityHub"],
  ["AsyncProcessor", "ResourceManager"],
  ["CacheManager", "MemoryOrchestratorService"],
  ["UnifiedUtilsAgent", "ObservabilityHub"],
  // 2.1 phase_2 sequential: "After X"
  ["ProactiveContextMonitor", "ContextManager"],
  ["DreamingModeAgent", "DreamWorldAgent"],
  ["AdvancedRouter", "TaskScheduler"],
  ["RemoteConnectorAgent", "AdvancedRouter"],
  ["UnifiedWebAgent", "FileSystemAssistantAgent"],
];

interface RawAgent {
  name: string;
  depends_on?: string[];
  health_check: { template?: string; checks?: { name: string }[] };
}

/** The fleet file as written, before the loader applies defaults and fallbacks. */
interface RawFleet {
  health_templates?: unknown;
  rollback_policy?: unknown;
  alert_thresholds?: unknown;
  defaults?: { restart?: unknown };
  groups: Record<string, { agents: RawAgent[] }>;
}

function raw(host: "mainpc" | "pc2"): RawFleet {
  return parse(readFileSync(path.join(FLEET_DIR, `${host}.yaml`), "utf8")) as RawFleet;
}

function load(host: "mainpc" | "pc2"): Fleet {
  return loadFleet(path.join(FLEET_DIR, `${host}.yaml`), {
    stack: host,
    gpuAvailable: host === "mainpc",
  });
}

function agent(fleet: Fleet, name: string): Agent {
  const found = fleet.agents.find((a) => a.name === name);
  assert.ok(found, `${fleet.host}: agent ${name} is missing`);
  return found;
}

function waveName(fleet: Fleet, a: Agent): string {
  return fleet.waves[a.wave - 1].name;
}

/** True when `from` reaches `to` by following dependsOn edges (a path of length >= 1). */
export function dependsTransitively(fleet: Fleet, from: string, to: string): boolean {
  const edges = new Map(fleet.agents.map((a) => [a.name, a.dependsOn]));
  const seen = new Set<string>();
  const stack = [...(edges.get(from) ?? [])];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (next === to) return true;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...(edges.get(next) ?? []));
  }
  return false;
}

describe("shipped fleets", () => {
  describe("reachability helper", () => {
    const tiny = {
      agents: [
        { name: "A", dependsOn: [] },
        { name: "B", dependsOn: ["A"] },
        { name: "C", dependsOn: ["B"] },
        { name: "D", dependsOn: [] },
      ],
    } as unknown as Fleet;
    it("finds edges and paths, and nothing else", () => {
      assert.equal(dependsTransitively(tiny, "B", "A"), true);
      assert.equal(dependsTransitively(tiny, "C", "A"), true);
      assert.equal(dependsTransitively(tiny, "A", "C"), false);
      assert.equal(dependsTransitively(tiny, "C", "D"), false);
      assert.equal(dependsTransitively(tiny, "A", "A"), false);
    });
  });

  describe("mainpc", () => {
    let fleet: Fleet;
    before(() => {
      fleet = load("mainpc");
    });

    it("loads on a GPU stack, with about 35 agents", () => {
      assert.equal(fleet.host, "mainpc");
      assert.ok(
        fleet.agents.length >= 32 && fleet.agents.length <= 38,
        `${fleet.agents.length} agents`,
      );
    });

    it("declares the seed's five waves and their windows", () => {
      assert.deepEqual(
        fleet.waves.map((w) => [w.name, w.windowStartSeconds, w.windowEndSeconds]),
        MAINPC_WINDOWS,
      );
    });

    it("has every agent the seed names, in its wave and group, none a stand-in", () => {
      for (const { wave, group, agents } of Object.values(MAINPC_SEED_AGENTS)) {
        for (const name of agents) {
          const a = agent(fleet, name);
          assert.equal(waveName(fleet, a), wave, `${name} wave`);
          assert.equal(a.group, group, `${name} group`);
          assert.equal(a.standIn, false, `${name} is named by the seed, not a stand-in`);
        }
      }
    });

    it('fills "Others (parallel)" of wave_4 with stand-ins that need only earlier waves', () => {
      const named = new Set(MAINPC_SEED_AGENTS.wave_4.agents);
      const others = fleet.agents.filter(
        (a) => a.group === "memory_learning" && !named.has(a.name),
      );
      assert.ok(others.length >= 3 && others.length <= 4, `${others.length} stand-ins in wave_4`);
      for (const a of others) {
        assert.equal(a.standIn, true, `${a.name} must be marked stand_in`);
        assert.equal(waveName(fleet, a), "wave_4");
        for (const dependency of a.dependsOn) {
          assert.ok(
            agent(fleet, dependency).wave < a.wave,
            `${a.name} runs in parallel, yet waits for ${dependency}`,
          );
        }
      }
    });

    it("fills the wave_5 groups with 3-4 stand-ins each", () => {
      for (const group of MAINPC_WAVE_5_GROUPS) {
        const members = fleet.agents.filter((a) => a.group === group);
        assert.ok(members.length >= 3 && members.length <= 4, `${group}: ${members.length} agents`);
        for (const a of members) {
          assert.equal(waveName(fleet, a), "wave_5", `${a.name} wave`);
          assert.equal(a.standIn, true, `${a.name} must be marked stand_in`);
        }
      }
      const groups = new Set(fleet.agents.map((a) => a.group));
      assert.deepEqual(
        [...groups].sort(),
        [
          "ai_engine",
          "core_platform",
          "memory_learning",
          "request_processing",
          ...MAINPC_WAVE_5_GROUPS,
        ].sort(),
      );
    });

    it("has every ordering the seed states as an edge or a path", () => {
      for (const [from, to] of MAINPC_SEED_ORDERINGS) {
        assert.ok(dependsTransitively(fleet, from, to), `${from} must come after ${to}`);
      }
    });

    it("keeps the seed's direct dependencies as direct edges", () => {
      assert.deepEqual(agent(fleet, "SystemDigitalTwin").dependsOn, ["ServiceRegistry"]);
      assert.deepEqual(agent(fleet, "ObservabilityHub").dependsOn, ["SystemDigitalTwin"]);
      assert.deepEqual(agent(fleet, "UnifiedSystemAgent").dependsOn, ["SystemDigitalTwin"]);
      assert.ok(agent(fleet, "VRAMOptimizerAgent").dependsOn.includes("ModelManagerSuite"));
      assert.ok(agent(fleet, "ModelOrchestrator").dependsOn.includes("ModelManagerSuite"));
    });

    it('starts ServiceRegistry first: it has no dependency and every other agent reaches it ("Must be first")', () => {
      assert.deepEqual(agent(fleet, "ServiceRegistry").dependsOn, []);
      for (const a of fleet.agents.filter((x) => x.name !== "ServiceRegistry")) {
        assert.ok(
          dependsTransitively(fleet, a.name, "ServiceRegistry"),
          `${a.name} could start before ServiceRegistry`,
        );
      }
    });

    it("keeps ServiceRegistry's ports, timing, thresholds and checks (seed 1.2, 4.2)", () => {
      const registry = agent(fleet, "ServiceRegistry");
      assert.equal(registry.servicePort, 7200);
      assert.equal(registry.healthPort, 8200);
      assert.equal(registry.critical, true);
      const h = registry.health;
      assert.equal(h.kind, "http");
      assert.deepEqual(
        [
          h.intervalSeconds,
          h.timeoutSeconds,
          h.retries,
          h.startPeriodSeconds,
          h.successThreshold,
          h.failureThreshold,
        ],
        [5, 3, 3, 10, 1, 3],
      );
      const requests = h.checks.map((c) => `${c.method} ${c.port} ${c.path}`);
      assert.ok(requests.includes("GET 8200 /health"), requests.join(", "));
      assert.ok(requests.includes("POST 8200 /register/test"), requests.join(", "));
      assert.ok(h.checks.some((c) => c.name === "can_register_service"));
      // The loader merges registry_accessible into the main /health request; the file keeps both names.
      const file = raw("mainpc");
      const entry = file.groups.core_platform.agents.find((e) => e.name === "ServiceRegistry")!;
      assert.deepEqual(
        entry.health_check.checks!.map((c) => c.name),
        ["registry_accessible", "can_register_service"],
      );
    });

    it("keeps SystemDigitalTwin's composite check (seed 1.2)", () => {
      const twin = agent(fleet, "SystemDigitalTwin");
      assert.equal(twin.healthPort, 8220);
      const h = twin.health;
      assert.equal(h.kind, "composite");
      assert.deepEqual([h.intervalSeconds, h.timeoutSeconds, h.startPeriodSeconds], [10, 5, 30]);
      assert.deepEqual(
        h.checks.map((c) => [c.name, c.method, c.port, c.path]),
        [
          ["api_responsive", "GET", 8220, "/health"],
          ["database_connected", "GET", 8220, "/health/db"],
          ["redis_connected", "GET", 8220, "/health/redis"],
          ["service_registry_connected", "GET", 8220, "/health/registry"],
        ],
      );
    });

    it("keeps ModelManagerSuite's stages, GPU and models (seed 1.2, 4.1, 5.2)", () => {
      const manager = agent(fleet, "ModelManagerSuite");
      assert.equal(manager.healthPort, 8211);
      assert.equal(manager.critical, true);
      assert.ok(manager.gpu, "ModelManagerSuite needs a GPU");
      const h = manager.health;
      assert.equal(h.kind, "staged");
      assert.deepEqual(
        h.stages.map((s) => [
          s.name,
          s.check.port,
          s.check.path,
          s.startPeriodSeconds,
          s.intervalSeconds,
          s.timeoutSeconds,
        ]),
        [
          ["startup", 8211, "/health/startup", 120, 10, 5],
          ["models_loaded", 8211, "/health/models", 0, 15, 10],
          ["ready", 8211, "/health/ready", 0, 10, 5],
        ],
      );
      assert.deepEqual(manager.models, {
        preload: ["phi-2"],
        onDemand: ["whisper-large-v3", "xtts-v2"],
        maxModelsInMemory: 3,
        evictionPolicy: "lru",
        idleTimeoutSeconds: 1800,
      });
    });

    it("keeps VRAMOptimizerAgent's check and its dependency check (seed 1.2)", () => {
      const vram = agent(fleet, "VRAMOptimizerAgent");
      const h = vram.health;
      assert.equal(h.kind, "http");
      assert.deepEqual([h.intervalSeconds, h.timeoutSeconds, h.startPeriodSeconds], [5, 3, 15]);
      assert.deepEqual(
        h.checks.map((c) => c.path),
        ["/health"],
      );
      assert.deepEqual(h.dependencyChecks, [
        { service: "ModelManagerSuite", port: 8211, path: "/health/ready", required: true },
      ]);
    });

    it("gives the model loaders of wave_2 a GPU and their models", () => {
      for (const name of [
        "ModelManagerSuite",
        "STTService",
        "TTSService",
        "FaceRecognitionAgent",
      ]) {
        assert.ok(agent(fleet, name).gpu, `${name} needs a GPU`);
        assert.ok(agent(fleet, name).models, `${name} declares its models`);
      }
      assert.ok(agent(fleet, "STTService").models!.onDemand.includes("whisper-large-v3"));
      assert.ok(agent(fleet, "TTSService").models!.onDemand.includes("xtts-v2"));
    });

    it("marks core_platform critical and the supporting waves not", () => {
      for (const name of MAINPC_SEED_AGENTS.wave_1.agents)
        assert.equal(agent(fleet, name).critical, true, name);
      for (const name of ["RequestCoordinator", "ModelOrchestrator"])
        assert.equal(agent(fleet, name).critical, true, name);
      for (const a of fleet.agents.filter((x) => MAINPC_WAVE_5_GROUPS.includes(x.group))) {
        assert.equal(a.critical, false, a.name);
      }
    });

    it("uses the port plan: health = service + 1000, all within 7200-7299", () => {
      for (const a of fleet.agents) {
        assert.ok(
          a.servicePort !== undefined && a.servicePort >= 7200 && a.servicePort <= 7299,
          `${a.name} ${a.servicePort}`,
        );
        assert.equal(a.healthPort, a.servicePort + 1000, a.name);
      }
    });

    it("applies the seed's restart policy (4.1) to every agent", () => {
      for (const a of fleet.agents) {
        assert.deepEqual(a.restart, { condition: "any", delaySeconds: 5, maxAttempts: 5 }, a.name);
      }
    });
  });

  describe("pc2", () => {
    let fleet: Fleet;
    before(() => {
      fleet = load("pc2");
    });

    it("loads on a stack without GPU, with about 25 agents, none asking for a GPU", () => {
      assert.equal(fleet.host, "pc2");
      assert.ok(
        fleet.agents.length >= 22 && fleet.agents.length <= 28,
        `${fleet.agents.length} agents`,
      );
      for (const a of fleet.agents) assert.equal(a.gpu, undefined, `${a.name} asks for a GPU`);
    });

    it("declares the seed's two phases and their windows", () => {
      assert.deepEqual(
        fleet.waves.map((w) => [w.name, w.windowStartSeconds, w.windowEndSeconds]),
        PC2_WINDOWS,
      );
    });

    it("has every agent the seed names, in its phase", () => {
      for (const [phase, parts] of Object.entries(PC2_SEED_AGENTS)) {
        for (const name of [...parts.parallel, ...parts.sequential]) {
          const a = agent(fleet, name);
          assert.equal(waveName(fleet, a), phase, `${name} phase`);
          assert.equal(a.standIn, false, `${name} is named by the seed, not a stand-in`);
        }
      }
      const named = new Set<string>(
        Object.values(PC2_SEED_AGENTS).flatMap((p) => [...p.parallel, ...p.sequential]),
      );
      for (const a of fleet.agents.filter((x) => !named.has(x.name))) {
        assert.equal(
          a.standIn,
          true,
          `${a.name} is not in the seed, so it must be marked stand_in`,
        );
      }
    });

    it("keeps the parallel parts parallel and the sequential parts sequential", () => {
      for (const [phase, parts] of Object.entries(PC2_SEED_AGENTS)) {
        for (const name of parts.parallel) {
          const sameWave = agent(fleet, name).dependsOn.filter(
            (d) => waveName(fleet, agent(fleet, d)) === phase,
          );
          assert.deepEqual(sameWave, [], `${name} is in ${phase}'s parallel part`);
        }
        for (const name of parts.sequential) {
          assert.ok(
            agent(fleet, name).dependsOn.length > 0,
            `${name} is in ${phase}'s sequential part`,
          );
        }
      }
    });

    it("has every ordering the seed states as an edge or a path", () => {
      for (const [from, to] of PC2_SEED_ORDERINGS) {
        assert.ok(dependsTransitively(fleet, from, to), `${from} must come after ${to}`);
      }
      // Phase 1's parallel part has no dependencies at all ("No dependencies").
      for (const name of PC2_SEED_AGENTS.phase_1.parallel)
        assert.deepEqual(agent(fleet, name).dependsOn, [], name);
    });

    it("keeps the seed's direct dependencies as direct edges", () => {
      for (const [from, to] of PC2_SEED_ORDERINGS) {
        assert.ok(agent(fleet, from).dependsOn.includes(to), `${from} depends on ${to}`);
      }
    });

    it("starts phase_2 only after phase_1: every phase_2 agent reaches a phase_1 agent", () => {
      for (const a of fleet.agents.filter((x) => waveName(fleet, x) === "phase_2")) {
        const core = fleet.agents.filter((x) => waveName(fleet, x) === "phase_1");
        assert.ok(
          core.some((c) => dependsTransitively(fleet, a.name, c.name)),
          `${a.name} needs nothing of phase_1`,
        );
      }
    });

    it("uses the seed's lightweight_check and dependency_aware_check (2.2)", () => {
      for (const a of fleet.agents) {
        const h = a.health;
        assert.equal(h.kind, "http", a.name);
        assert.deepEqual(
          h.checks.map((c) => [c.port, c.path]),
          [[a.healthPort, "/health"]],
          a.name,
        );
        assert.deepEqual([h.intervalSeconds, h.timeoutSeconds, h.retries], [10, 5, 3], a.name);
        // dependency_aware_check: one required pre-check on each dependency's /health
        assert.deepEqual(
          h.dependencyChecks,
          a.dependsOn.map((d) => ({
            service: d,
            port: agent(fleet, d).healthPort,
            path: "/health",
            required: true,
          })),
          a.name,
        );
      }
    });

    it("uses its own port plan: health = service + 1000, all within 7100-7199", () => {
      for (const a of fleet.agents) {
        assert.ok(
          a.servicePort !== undefined && a.servicePort >= 7100 && a.servicePort <= 7199,
          `${a.name} ${a.servicePort}`,
        );
        assert.equal(a.healthPort, a.servicePort + 1000, a.name);
      }
    });
  });

  describe("pc2 file", () => {
    it("defines the seed's two health templates (2.2) as written", () => {
      const file = raw("pc2");
      assert.deepEqual(file.health_templates, {
        lightweight_check: {
          type: "http",
          endpoint: "/health",
          interval: "10s",
          timeout: "5s",
          retries: 3,
        },
        dependency_aware_check: {
          type: "http",
          endpoint: "/health",
          dependency_checks: "all_dependencies",
        },
      });
    });

    it("gives agents without dependencies lightweight_check, the others dependency_aware_check", () => {
      const file = raw("pc2");
      const entries = Object.values(file.groups).flatMap((g) => g.agents);
      for (const entry of entries) {
        const expected = entry.depends_on?.length ? "dependency_aware_check" : "lightweight_check";
        assert.equal(entry.health_check.template, expected, entry.name);
      }
    });
  });

  for (const host of ["mainpc", "pc2"] as const) {
    describe(`${host}: seed policies`, () => {
      it("states the seed's policies in the file itself, not through the loader's fallbacks", () => {
        const file = raw(host);
        assert.deepEqual(file.rollback_policy, {
          health_check_window: "300s",
          failure_conditions: [
            { condition: "health_check_failures > 50%", action: "immediate_rollback" },
            { condition: "critical_service_unhealthy", action: "immediate_rollback" },
            { condition: "error_rate > 10%", action: "gradual_rollback" },
          ],
          rollback_stages: [
            "pause_new_deployment",
            "route_traffic_to_old",
            "terminate_unhealthy_new",
            "restore_old_version",
          ],
        });
        assert.deepEqual(file.alert_thresholds, {
          startup_time: "300s",
          health_check_duration: "5s",
          dependency_check_failures: 3,
          restarts: 5,
        });
        assert.deepEqual(file.defaults?.restart, {
          condition: "any",
          delay: "5s",
          max_attempts: 5,
        });
      });

      it("carries the seed's rollback policy (7.1)", () => {
        assert.deepEqual(load(host).rollbackPolicy, {
          healthCheckWindowSeconds: 300,
          failureConditions: [
            { kind: "health_check_failures", aboveRatio: 0.5, action: "immediate_rollback" },
            { kind: "critical_service_unhealthy", action: "immediate_rollback" },
            { kind: "error_rate", aboveRatio: 0.1, action: "gradual_rollback" },
          ],
          rollbackStages: [
            "pause_new_deployment",
            "route_traffic_to_old",
            "terminate_unhealthy_new",
            "restore_old_version",
          ],
        });
      });

      it("carries the seed's alert thresholds (6.1)", () => {
        assert.deepEqual(load(host).alertThresholds, {
          startupTimeSeconds: 300,
          healthCheckDurationSeconds: 5,
          dependencyCheckFailures: 3,
          restarts: 5,
        });
      });

      it("names images cascade/<kebab-case name>", () => {
        for (const a of load(host).agents) {
          const kebab = a.name
            .replace(/([A-Z]+)([A-Z][a-z])/g, "$1-$2")
            .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
            .toLowerCase();
          assert.equal(a.image, `cascade/${kebab}`, a.name);
        }
      });
    });
  }

  it("mainpc, whose model loaders ask for a GPU, does not load on a stack without one", () => {
    assert.throws(
      () => loadFleet(path.join(FLEET_DIR, "mainpc.yaml"), { stack: "pc2", gpuAvailable: false }),
      /GPU/,
    );
  });
});
