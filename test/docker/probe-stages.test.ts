import { strict as assert } from "node:assert";
import { containerSpec } from "../../src/docker/container-spec";
import { dockerHealthcheck } from "../../src/docker/healthcheck";
import { PROBE_PATH } from "../../src/docker/paths";
import { probeSpec } from "../../src/docker/probe-stages";
import { loadFleet } from "../../src/fleet/loader";
import type { Agent, Fleet } from "../../src/fleet/model";
import { planFleet } from "../../src/fleet/planner";
import { durationSeconds } from "../../src/fleet/duration";
import {
  SEED_STAGES,
  probeSpecSchema,
  worstCaseProbeDurationMs,
  type ProbeSpec,
} from "../../src/health/probe-spec";
import { stackSettingsSchema } from "../../src/stack/settings";

const mainpc = loadFleet("fleet/mainpc.yaml", { stack: "mainpc", gpuAvailable: true });
const pc2 = loadFleet("fleet/pc2.yaml", { stack: "pc2", gpuAvailable: false });
const options = { dependencyHost: (service: string) => service };

function agent(fleet: Fleet, name: string): Agent {
  const found = fleet.agents.find((a) => a.name === name);
  assert.ok(found, `no agent ${name}`);
  return found;
}

const row = (spec: ProbeSpec) =>
  spec.stages.map((s) => [s.name, s.kind, s.critical, s.timeout_ms, s.deadline_ms, s.interval_ms]);

describe("docker probe stages (seed §1.2 staged checks, §1.3 progressive stages)", () => {
  it("keeps each staged stage's own timeout and interval; Docker's timeout covers their sum", () => {
    const mms = agent(mainpc, "ModelManagerSuite");
    const spec = probeSpec(mms, options);
    const seedStages = spec.stages.filter((s) =>
      ["startup", "models_loaded", "ready"].includes(s.name),
    );
    // Seed 1.2: startup 10s/5s, models_loaded 15s/10s, ready 10s/5s.
    assert.deepEqual(
      seedStages.map((s) => [s.name, s.targets[0], s.timeout_ms, s.interval_ms]),
      [
        ["startup", "http://127.0.0.1:8211/health/startup", 5000, undefined],
        ["models_loaded", "http://127.0.0.1:8211/health/models", 10_000, 15_000],
        ["ready", "http://127.0.0.1:8211/health/ready", 5000, undefined],
      ],
    );
    const hc = dockerHealthcheck(mms, {
      probe: "cascade-probe",
      probePath: PROBE_PATH,
      ...options,
    });
    // Docker runs it at the stages' shortest interval; the 15 s stage keeps its own in the probe.
    assert.equal(hc.interval, "10s");
    // The stages' 20 s plus the check's own 5 s (defaults), which the other stages share.
    assert.equal(hc.timeout, "25s");
    assert.ok(worstCaseProbeDurationMs(spec) < 25_000);
    assert.equal(hc.startPeriod, "2m0s");
  });

  it("emits the seed's stages in order, with their deadlines and critical flags", () => {
    // An ai_engine agent: its 180 s start period leaves the seed's deadlines as they are.
    const stt = probeSpec(agent(mainpc, "STTService"), options);
    assert.deepEqual(
      stt.stages.map((s) => [s.name, s.kind, s.targets[0], s.critical, s.deadline_ms]),
      [
        ["process_started", "process", "pid:1", true, 10_000],
        ["port_listening", "tcp", "127.0.0.1:8214", true, 30_000],
        ["api_responsive", "http", "http://127.0.0.1:8214/health", true, 60_000],
        ["fully_operational", "health", "http://127.0.0.1:8214/health", false, 120_000],
      ],
    );
    // With dependencies (VRAMOptimizerAgent, start period 15 s): critical deadlines stop there.
    assert.deepEqual(
      probeSpec(agent(mainpc, "VRAMOptimizerAgent"), options).stages.map((s) => [
        s.name,
        s.critical,
        s.deadline_ms,
      ]),
      [
        ["process_started", true, 10_000],
        ["port_listening", true, 15_000],
        ["api_responsive", true, 15_000],
        ["dependencies_connected", true, 15_000],
        ["fully_operational", false, 120_000],
      ],
    );
  });

  it("lets a staged agent be degraded: fully_operational follows its stages, non-critical", () => {
    const spec = probeSpec(agent(mainpc, "ModelManagerSuite"), options);
    assert.deepEqual(
      spec.stages.map((s) => [s.name, s.critical, s.deadline_ms]),
      [
        ["process_started", true, 10_000],
        ["port_listening", true, 30_000],
        // The staged check's own start period ("Long startup for model loading").
        ["startup", true, 120_000],
        ["models_loaded", true, 120_000],
        ["ready", true, 120_000],
        ["fully_operational", false, 120_000],
      ],
    );
    assert.deepEqual(spec.stages.at(-1)?.targets, ["http://127.0.0.1:8211/health"]);
  });

  it("gives optional dependencies a non-critical stage of their own", () => {
    const base = agent(pc2, "ContextManager");
    const health = {
      ...base.health,
      dependencyChecks: base.health.dependencyChecks.map((d, i) => ({ ...d, required: i === 0 })),
    };
    const spec = probeSpec({ ...base, health }, options);
    assert.deepEqual(
      spec.stages
        .filter((s) => s.name.startsWith("dependencies"))
        .map((s) => [s.name, s.critical, s.targets.length, s.deadline_ms]),
      [
        ["dependencies_connected", true, 1, 5000], // PC2's 5 s start period
        [
          "dependencies_optional",
          false,
          1,
          SEED_STAGES.dependencies_connected.deadlineSeconds * 1000,
        ],
      ],
    );
  });

  for (const fleet of [mainpc, pc2]) {
    describe(`every ${fleet.host} agent`, () => {
      it("gets a valid spec that finishes inside Docker's timeout", () => {
        for (const a of fleet.agents) {
          const spec = probeSpecSchema.parse(probeSpec(a, options));
          assert.ok(worstCaseProbeDurationMs(spec) < a.health.timeoutSeconds * 1000, a.name);
          assert.equal(spec.stages.at(-1)?.name, "fully_operational", a.name);
          assert.deepEqual(row(spec).slice(0, 1)[0]?.slice(0, 3), [
            "process_started",
            "process",
            true,
          ]);
        }
      });

      it("never calls a run Docker counts 'starting': critical deadlines end by the start period", () => {
        for (const a of fleet.agents) {
          for (const stage of probeSpec(a, options).stages.filter((s) => s.critical)) {
            assert.ok(
              (stage.deadline_ms ?? 0) <= a.health.startPeriodSeconds * 1000,
              `${a.name} ${stage.name}: ${stage.deadline_ms} ms after a ${a.health.startPeriodSeconds} s start period`,
            );
          }
        }
      });

      it("is planned with exactly the timing Docker gets: start period + retries x (interval + timeout)", () => {
        const plan = planFleet(fleet, "waves");
        const settings = stackSettingsSchema.parse({ fleet: "f.yaml", gpu: true });
        for (const a of fleet.agents) {
          const planned = plan.agents.find((p) => p.name === a.name)!;
          const { healthcheck, waitTimeout } = containerSpec(a, planned, {
            stack: fleet.host,
            host: fleet.host,
            settings,
            filesVolume: "files",
          });
          const docker =
            durationSeconds(healthcheck.startPeriod) +
            healthcheck.retries *
              (durationSeconds(healthcheck.interval) + durationSeconds(healthcheck.timeout));
          assert.equal(planned.worstSeconds, docker, a.name);
          assert.equal(waitTimeout, docker + settings.waitMarginSeconds, a.name);
        }
      });
    });
  }
});
