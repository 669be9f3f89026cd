import { strict as assert } from "node:assert";
import fc from "fast-check";
import { loadFleet } from "../../src/fleet/loader";
import type { Agent, Fleet } from "../../src/fleet/model";
import { planFleet } from "../../src/fleet/planner";
import { healthTiming } from "../../src/fleet/timing";
import { probeSpecSchema, worstCaseProbeDurationMs } from "../../src/health/probe-spec";
import { modelConfigSchema } from "../../src/targets/model-config";
import { stackSettingsSchema } from "../../src/stack/settings";
import { imageReference, sha256 } from "../../src/targets/agent-contract";
import {
  containerSpec,
  dockerCpus,
  dockerRestart,
  LABELS,
  type ContainerSpecContext,
} from "../../src/docker/container-spec";
import { curlCommand, dockerDuration } from "../../src/docker/healthcheck";
import { probeSpec } from "../../src/docker/probe-stages";
import { containerName, kebab } from "../../src/targets/names";
import { PROBE_PATH } from "../../src/docker/paths";
import { durationMs } from "../../src/rehearse/scale";

const mainpc = loadFleet("fleet/mainpc.yaml", { stack: "mainpc", gpuAvailable: true });
const pc2 = loadFleet("fleet/pc2.yaml", { stack: "pc2", gpuAvailable: false });

function context(stack: string, overrides: Record<string, unknown> = {}): ContainerSpecContext {
  const settings = stackSettingsSchema.parse({
    fleet: `fleet/${stack}.yaml`,
    gpu: stack === "mainpc",
    imageTag: "1.0.0",
    ...overrides,
  });
  return { stack, host: stack, settings, filesVolume: `cascade-${stack}-files` };
}

function agent(fleet: Fleet, name: string): Agent {
  const found = fleet.agents.find((a) => a.name === name);
  assert.ok(found, `no agent ${name}`);
  return found;
}

function specOf(
  fleet: Fleet,
  name: string,
  stack = fleet.host,
  overrides: Record<string, unknown> = {},
) {
  const plan = planFleet(fleet, "waves");
  return containerSpec(
    agent(fleet, name),
    plan.agents.find((a) => a.name === name)!,
    context(stack, overrides),
  );
}

describe("docker container spec (pure)", () => {
  it("names containers per stack in kebab case", () => {
    assert.equal(kebab("VRAMOptimizerAgent"), "vram-optimizer-agent");
    assert.equal(kebab("STTService"), "stt-service");
    assert.equal(kebab("core_platform"), "core-platform");
    assert.equal(
      containerName("mainpc", { name: "ModelManagerSuite" }),
      "cascade-mainpc-model-manager-suite",
    );
  });

  it("writes durations as Go's time.Duration prints them, as the provider reads them back", () => {
    const cases: [number, string][] = [
      [0, "0s"],
      [0.5, "500ms"],
      [10, "10s"],
      [2.375, "2.375s"],
      [90, "1m30s"],
      [120, "2m0s"],
      [180, "3m0s"],
      [3600, "1h0m0s"],
      [3661.5, "1h1m1.5s"],
    ];
    for (const [seconds, text] of cases) assert.equal(dockerDuration(seconds), text);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000_000 }), (ms) => {
        assert.equal(durationMs(dockerDuration(ms / 1000)), ms);
      }),
    );
  });

  it("maps the seed's restart policy (any, 5 attempts) to on-failure with 5 retries", () => {
    assert.deepEqual(dockerRestart({ condition: "any", delaySeconds: 5, maxAttempts: 5 }), {
      restart: "on-failure",
      maxRetryCount: 5,
    });
    assert.deepEqual(dockerRestart({ condition: "any", delaySeconds: 5, maxAttempts: 0 }), {
      restart: "always",
    });
    assert.deepEqual(dockerRestart({ condition: "on-failure", delaySeconds: 0, maxAttempts: 3 }), {
      restart: "on-failure",
      maxRetryCount: 3,
    });
    assert.deepEqual(dockerRestart({ condition: "none", delaySeconds: 0, maxAttempts: 0 }), {
      restart: "no",
    });
  });

  it("waits for health with the planner's worst case plus the margin", () => {
    for (const fleet of [mainpc, pc2]) {
      const plan = planFleet(fleet, "dependencies");
      for (const a of fleet.agents) {
        const planned = plan.agents.find((p) => p.name === a.name)!;
        const spec = containerSpec(a, planned, context(fleet.host, { waitMarginSeconds: 45 }));
        assert.equal(spec.wait, true);
        assert.equal(spec.waitTimeout, healthTiming(a.health).worstSeconds + 45, a.name);
      }
    }
  });

  it("compiles the health model's timing into the healthcheck unchanged", () => {
    const spec = specOf(mainpc, "ServiceRegistry");
    assert.deepEqual(
      { ...spec.healthcheck, tests: undefined },
      { tests: undefined, interval: "5s", timeout: "3s", retries: 3, startPeriod: "10s" },
    );
    assert.deepEqual(spec.healthcheck.tests.slice(0, 3), ["CMD", PROBE_PATH, "--spec-json"]);
  });

  it("composite and http checks become one test; POST checks keep their method", () => {
    const sdt = probeSpec(agent(mainpc, "SystemDigitalTwin"), { dependencyHost: (s) => s });
    const api = sdt.stages.find((s) => s.name === "api_responsive")!;
    assert.deepEqual(api.targets, [
      "http://127.0.0.1:8220/health",
      "http://127.0.0.1:8220/health/db",
      "http://127.0.0.1:8220/health/redis",
      "http://127.0.0.1:8220/health/registry",
    ]);
    const registry = probeSpec(agent(mainpc, "ServiceRegistry"), { dependencyHost: (s) => s });
    const post = registry.stages.find((s) => s.method === "POST");
    assert.deepEqual(post?.targets, ["http://127.0.0.1:8200/register/test"]);
  });

  it("includes dependency checks against the dependency's container name", () => {
    const spec = specOf(mainpc, "VRAMOptimizerAgent");
    const probe = probeSpecSchema.parse(JSON.parse(spec.healthcheck.tests[3]));
    const deps = probe.stages.find((s) => s.name === "dependencies_connected");
    assert.deepEqual(deps?.targets, [
      "http://cascade-mainpc-model-manager-suite:8211/health/ready",
    ]);
    const host = specOf(mainpc, "VRAMOptimizerAgent", "mainpc", { networkMode: "host" });
    assert.match(host.healthcheck.tests[3], /http:\/\/127\.0\.0\.1:8211\/health\/ready/);
  });

  it("every probe spec of both fleets is valid and finishes inside Docker's timeout", () => {
    for (const fleet of [mainpc, pc2]) {
      for (const a of fleet.agents) {
        const spec = probeSpec(a, { dependencyHost: (s) => s });
        assert.ok(worstCaseProbeDurationMs(spec) < a.health.timeoutSeconds * 1000, a.name);
        const required = a.health.dependencyChecks.filter((d) => d.required).length;
        const deps = spec.stages.find((s) => s.name === "dependencies_connected");
        assert.equal(deps?.targets.length ?? 0, required, a.name);
      }
    }
  });

  it("curl fallback: required dependencies first, then the agent's checks", () => {
    const command = curlCommand(agent(mainpc, "VRAMOptimizerAgent"), {
      dependencyHost: (s) => `dep-${s}`,
    });
    assert.equal(
      command,
      "curl -fsS -o /dev/null --max-time 2 http://dep-ModelManagerSuite:8211/health/ready && curl -fsS -o /dev/null --max-time 2 http://127.0.0.1:8212/health",
    );
    const spec = specOf(mainpc, "ServiceRegistry", "mainpc", { healthProbe: "curl" });
    assert.equal(spec.healthcheck.tests[0], "CMD-SHELL");
    assert.match(spec.healthcheck.tests[1], /-X POST http:\/\/127\.0\.0\.1:8200\/register\/test/);
  });

  it("requests GPUs for GPU agents only, by device id or count", () => {
    assert.deepEqual(specOf(mainpc, "ModelManagerSuite").deviceRequests, [
      { driver: "nvidia", capabilities: ["gpu"], deviceIds: ["0"] },
    ]);
    assert.deepEqual(specOf(mainpc, "STTService").deviceRequests, [
      { driver: "nvidia", capabilities: ["gpu"], count: 1 },
    ]);
    assert.equal(specOf(mainpc, "VRAMOptimizerAgent").deviceRequests, undefined);
    assert.throws(() => specOf(mainpc, "STTService", "mainpc", { gpu: false }), /needs a GPU/);
  });

  it("labels agent, group, wave, criticality and stack", () => {
    const labels = Object.fromEntries(
      specOf(mainpc, "ServiceRegistry").labels.map((l) => [l.label, l.value]),
    );
    assert.deepEqual(labels, {
      [LABELS.agent]: "ServiceRegistry",
      [LABELS.group]: "core_platform",
      [LABELS.wave]: "1",
      [LABELS.critical]: "true",
      [LABELS.stack]: "mainpc",
      [LABELS.host]: "mainpc",
    });
  });

  it("hardens: no-new-privileges, read-only rootfs with a tmpfs, files volume read-only", () => {
    const ro = specOf(mainpc, "VRAMOptimizerAgent");
    assert.deepEqual(ro.securityOpts, ["no-new-privileges:true"]);
    assert.equal(ro.readOnly, true);
    assert.deepEqual(Object.keys(ro.tmpfs ?? {}), ["/tmp"]);
    assert.deepEqual(ro.volumes, [
      { volumeName: "cascade-mainpc-files", containerPath: "/opt/cascade", readOnly: true },
    ]);
    const rw = specOf(mainpc, "ModelManagerSuite");
    assert.equal(rw.readOnly, false);
    assert.equal(rw.tmpfs, undefined);
  });

  it("maps resources: memory in MB with no swap, cpus as the provider reads them back", () => {
    const spec = specOf(mainpc, "ModelManagerSuite");
    assert.equal(spec.memory, 16384);
    assert.equal(spec.memorySwap, 16384);
    assert.equal(spec.memoryReservation, 8192);
    assert.equal(spec.cpus, "4.0");
  });

  it("spells cpus as Docker's NanoCPUs read back do, so an up is followed by no diff", () => {
    const cases: [number, string][] = [
      [1, "1.0"],
      [2, "2.0"],
      [0.5, "0.5"],
      [1.25, "1.25"],
      [0.001, "0.001"],
    ];
    for (const [cpus, text] of cases) assert.equal(dockerCpus(cpus), text);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64_000_000_000 }), (nanos) => {
        const text = dockerCpus(nanos / 1e9);
        assert.equal(Math.round(Number(text) * 1e9), nanos);
        assert.match(text, /^\d+\.(0|\d*[1-9])$/);
      }),
    );
  });

  it("caps cpus at cascade:maxCpus and drops GPU requests where cascade:runGpuAgentsOnCpu says so", () => {
    const local = { gpu: false, maxCpus: 2 };
    const spec = specOf(mainpc, "ModelManagerSuite", "mainpc", {
      ...local,
      runGpuAgentsOnCpu: true,
    });
    assert.equal(spec.cpus, "2.0");
    assert.equal(spec.deviceRequests, undefined);
    assert.throws(() => specOf(mainpc, "ModelManagerSuite", "mainpc", local), /needs a GPU/);
  });

  it("delivers the model config as a file named by CASCADE_MODEL_CONFIG, hashed into a label", () => {
    const spec = specOf(mainpc, "ModelManagerSuite");
    assert.ok(spec.modelConfig);
    assert.ok(spec.envs.includes(`CASCADE_MODEL_CONFIG=${spec.modelConfig.path}`));
    const config = modelConfigSchema.parse(JSON.parse(spec.modelConfig.content));
    assert.deepEqual(config, {
      preload: ["phi-2"],
      on_demand: ["whisper-large-v3", "xtts-v2"],
      max_models_in_memory: 3,
      eviction_policy: "lru",
      idle_timeout_seconds: 1800,
    });
    const label = spec.labels.find((l) => l.label === LABELS.modelConfig);
    assert.equal(label?.value, sha256(spec.modelConfig.content));
    // A different model config gives a different label, which replaces the container.
    const changed = structuredClone(agent(mainpc, "ModelManagerSuite"));
    changed.models!.maxModelsInMemory = 2;
    const planned = planFleet(mainpc, "waves").agents.find((a) => a.name === "ModelManagerSuite")!;
    const other = containerSpec(changed, planned, context("mainpc"));
    assert.notEqual(other.labels.find((l) => l.label === LABELS.modelConfig)?.value, label?.value);
    assert.equal(specOf(mainpc, "VRAMOptimizerAgent").modelConfig, undefined);
  });

  it("builds image references from registry, tag and per-agent tags", () => {
    const settings = context("mainpc", {
      imageRegistry: "reg.example.com/ai/",
      imageTags: { NLUAgent: "2.1" },
    }).settings;
    assert.equal(
      imageReference({ name: "NLUAgent", image: "cascade/nlu" }, settings),
      "reg.example.com/ai/cascade/nlu:2.1",
    );
    assert.equal(
      imageReference({ name: "X", image: "cascade/x" }, settings),
      "reg.example.com/ai/cascade/x:1.0.0",
    );
    assert.equal(
      imageReference({ name: "X", image: "cascade/x:pinned" }, settings),
      "reg.example.com/ai/cascade/x:pinned",
    );
  });

  it("publishes the health and service ports on bridge networks, none on the host network", () => {
    assert.deepEqual(specOf(pc2, "ObservabilityHub").ports, [
      { internal: 8100, external: 8100 },
      { internal: 7100, external: 7100 },
    ]);
    const host = specOf(pc2, "ObservabilityHub", "pc2", { networkMode: "host" });
    assert.equal(host.ports, undefined);
    assert.equal(host.networkMode, "host");
  });
});
