import assert from "node:assert/strict";
import path from "node:path";
import fc from "fast-check";
import { parse } from "yaml";
import { loadFleet } from "../../src/fleet/loader";
import type { Agent, HealthModel, HealthStage } from "../../src/fleet/model";
import { planFleet } from "../../src/fleet/planner";
import { healthTiming } from "../../src/fleet/timing";
import { agentContainer } from "../../src/kubernetes/manifests";
import {
  agentProbes,
  LIVENESS_PERIOD_FACTOR,
  STARTUP_FAILURE_THRESHOLD_FLOOR,
} from "../../src/kubernetes/probes";
import { ROOT, stackSettings } from "./k8s-harness";

/** Seed §4.2, verbatim. */
const SEED_4_2 = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cascade-core
spec:
  template:
    spec:
      containers:
      - name: service-registry
        image: cascade/service-registry:latest
        ports:
        - containerPort: 7200
        - containerPort: 8200
        livenessProbe:
          httpGet:
            path: /health
            port: 8200
          initialDelaySeconds: 10
          periodSeconds: 10
          timeoutSeconds: 3
          failureThreshold: 3
        readinessProbe:
          httpGet:
            path: /health/ready
            port: 8200
          initialDelaySeconds: 5
          periodSeconds: 5
          timeoutSeconds: 3
          successThreshold: 1
          failureThreshold: 3
        startupProbe:
          httpGet:
            path: /health/startup
            port: 8200
          initialDelaySeconds: 0
          periodSeconds: 5
          timeoutSeconds: 3
          failureThreshold: 30  # 30 * 5 = 150s max startup
`;

function mainpc() {
  const settings = stackSettings("mainpc", { imageTag: "latest" });
  const fleet = loadFleet(path.join(ROOT, settings.fleet), { stack: "mainpc", gpuAvailable: true });
  return { settings, fleet, plan: planFleet(fleet, settings.ordering) };
}

describe("kubernetes probes", () => {
  it("compiles the fleet's ServiceRegistry to seed §4.2's container exactly", () => {
    const { settings, fleet } = mainpc();
    const agent = fleet.agents.find((a) => a.name === "ServiceRegistry")!;
    const container = agentContainer(agent, {
      stack: "mainpc",
      namespace: "cascade-mainpc",
      settings,
      fleet,
    });
    const seed = (parse(SEED_4_2) as { spec: { template: { spec: { containers: object[] } } } })
      .spec.template.spec.containers[0] as Record<string, unknown>;
    const ours = container as unknown as Record<string, unknown>;
    const picked = Object.fromEntries(Object.keys(seed).map((k) => [k, ours[k]]));
    assert.deepEqual(picked, seed);
  });

  it("maps a staged check's stages to startup and readiness (ModelManagerSuite)", () => {
    const { fleet } = mainpc();
    const agent = fleet.agents.find((a) => a.name === "ModelManagerSuite")!;
    const probes = agentProbes(agent);
    assert.deepEqual(probes.startupProbe, {
      httpGet: { path: "/health/startup", port: 8211 },
      initialDelaySeconds: 0,
      periodSeconds: 10,
      timeoutSeconds: 5,
      failureThreshold: 30,
    });
    assert.deepEqual(probes.readinessProbe, {
      httpGet: { path: "/health/ready", port: 8211 },
      initialDelaySeconds: 10,
      periodSeconds: 10,
      timeoutSeconds: 5,
      successThreshold: 1,
      failureThreshold: 5,
    });
    assert.equal(probes.livenessProbe.httpGet.path, "/health");
    assert.equal(probes.livenessProbe.initialDelaySeconds, 120);
    // Docker's timeout is the stages' 20 s and the check's 5 s: /health gets the 5 s.
    assert.equal(agent.health.timeoutSeconds, 25);
    assert.equal(probes.livenessProbe.timeoutSeconds, 5);
  });

  it("gives a long startup stage more failures than the floor", () => {
    const { fleet } = mainpc();
    const base = fleet.agents.find((a) => a.name === "ModelManagerSuite")!;
    const stages = base.health.stages.map((s, i) =>
      i === 0 ? { ...s, startPeriodSeconds: 900 } : s,
    );
    const agent: Agent = { ...base, health: { ...base.health, stages, startPeriodSeconds: 900 } };
    const startup = agentProbes(agent).startupProbe;
    // 900 + 5 x (10 + 25) = 1075 s at 10 s per probe.
    assert.equal(startup.failureThreshold, 108);
  });

  const stageArb = (name: string) =>
    fc.record({
      name: fc.constant(name),
      startPeriodSeconds: fc.integer({ min: 0, max: 1200 }),
      intervalSeconds: fc.integer({ min: 1, max: 120 }),
      timeoutSeconds: fc.integer({ min: 1, max: 60 }),
    });
  const healthArb: fc.Arbitrary<HealthModel> = fc
    .record({
      kind: fc.constantFrom("http" as const, "composite" as const, "staged" as const),
      stages: fc.tuple(stageArb("startup"), stageArb("models_loaded"), stageArb("ready")),
      intervalSeconds: fc.integer({ min: 1, max: 120 }),
      timeoutSeconds: fc.integer({ min: 1, max: 60 }),
      retries: fc.integer({ min: 1, max: 10 }),
      startPeriodSeconds: fc.integer({ min: 0, max: 1200 }),
      successThreshold: fc.integer({ min: 1, max: 5 }),
      failureThreshold: fc.integer({ min: 1, max: 10 }),
    })
    .map((h) => ({
      ...h,
      // As the loader makes it: a staged check's Docker timeout adds its stages' timeouts.
      timeoutSeconds:
        h.timeoutSeconds +
        (h.kind === "staged" ? h.stages.reduce((sum, s) => sum + s.timeoutSeconds, 0) : 0),
      checks: [{ name: "health", method: "GET" as const, port: 8000, path: "/health" }],
      dependencyChecks: [],
      stages:
        h.kind === "staged"
          ? h.stages.map((s): HealthStage => ({
              ...s,
              check: { name: s.name, method: "GET", port: 8000, path: `/health/${s.name}` },
            }))
          : [],
    }));
  const agentWith = (health: HealthModel) => ({ healthPort: 8000, health }) as Agent;

  it("startup probes outlast the start period and the Docker worst case (property)", () => {
    fc.assert(
      fc.property(healthArb, (health) => {
        const { startupProbe } = agentProbes(agentWith(health));
        const budget = startupProbe.failureThreshold * startupProbe.periodSeconds;
        const stage = health.stages[0];
        assert.ok(budget >= (stage?.startPeriodSeconds ?? health.startPeriodSeconds));
        assert.ok(budget >= healthTiming(health).worstSeconds);
        assert.ok(startupProbe.failureThreshold >= STARTUP_FAILURE_THRESHOLD_FLOOR);
        // Not more than one period of slack above what the rule asks for.
        const needed = Math.max(
          healthTiming(health).worstSeconds,
          stage?.startPeriodSeconds ?? 0,
          STARTUP_FAILURE_THRESHOLD_FLOOR * startupProbe.periodSeconds,
        );
        assert.ok(budget < needed + startupProbe.periodSeconds);
        assert.equal(startupProbe.initialDelaySeconds, 0);
      }),
    );
  });

  it("readiness and liveness carry the model's timing (property)", () => {
    fc.assert(
      fc.property(healthArb, (health) => {
        const { readinessProbe, livenessProbe } = agentProbes(agentWith(health));
        const ready = health.stages[health.stages.length - 1];
        const period = ready?.intervalSeconds ?? health.intervalSeconds;
        assert.equal(readinessProbe.periodSeconds, period);
        assert.equal(readinessProbe.initialDelaySeconds, period);
        assert.equal(readinessProbe.timeoutSeconds, ready?.timeoutSeconds ?? health.timeoutSeconds);
        assert.equal(readinessProbe.successThreshold, health.successThreshold);
        assert.equal(readinessProbe.failureThreshold, health.failureThreshold);
        assert.equal(readinessProbe.httpGet.path, "/health/ready");
        assert.equal(livenessProbe.httpGet.path, "/health");
        assert.equal(livenessProbe.periodSeconds, LIVENESS_PERIOD_FACTOR * health.intervalSeconds);
        assert.equal(livenessProbe.initialDelaySeconds, health.startPeriodSeconds);
        // Liveness asks the health endpoint: the check's own timeout, not a staged sum.
        const staged = health.stages.reduce((sum, s) => sum + s.timeoutSeconds, 0);
        assert.equal(livenessProbe.timeoutSeconds, health.timeoutSeconds - staged);
        assert.ok(livenessProbe.timeoutSeconds >= 1);
        assert.equal(livenessProbe.successThreshold, undefined);
      }),
    );
  });

  it("takes startup and ready from the http check's own endpoint", () => {
    const health: HealthModel = {
      kind: "http",
      checks: [{ name: "health", method: "GET", port: 9000, path: "/status/" }],
      stages: [],
      dependencyChecks: [],
      intervalSeconds: 7,
      timeoutSeconds: 2,
      retries: 3,
      startPeriodSeconds: 0,
      successThreshold: 2,
      failureThreshold: 4,
    };
    const probes = agentProbes({ healthPort: 9000, health } as Agent);
    assert.equal(probes.livenessProbe.httpGet.path, "/status/");
    assert.equal(probes.readinessProbe.httpGet.path, "/status/ready");
    assert.equal(probes.startupProbe.httpGet.path, "/status/startup");
    assert.equal(probes.readinessProbe.successThreshold, 2);
  });
});
