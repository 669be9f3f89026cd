import { strict as assert } from "node:assert";
import { FleetError, parseFleet } from "../../src/fleet/loader";
import type { StackContext } from "../../src/fleet/checks";

/** A small valid fleet; each test breaks one thing in it. Line numbers below refer to it. */
const VALID = `host: testhost
waves:
  - name: wave_1
    window: [0s, 60s]
  - name: wave_2
    window: [60s, 180s]
health_templates:
  lightweight_check:
    type: http
    endpoint: /health
    interval: 10s
groups:
  core:
    wave: wave_1
    critical: true
    agents:
      - name: Registry
        image: cascade/registry
        ports: { service: 7200, health: 8200 }
        health_check:
          type: http
          endpoint: /health
          interval: 5s
      - name: Twin
        image: cascade/twin
        ports: { health: 8220 }
        depends_on: [Registry]
        health_check: { template: lightweight_check }
  engine:
    wave: wave_2
    agents:
      - name: Models
        image: cascade/models
        ports: { health: 8211 }
        depends_on: [Twin]
        gpu: true
        models:
          preload: [phi-2]
          on_demand: [whisper-large-v3]
          cache_strategy: { max_models_in_memory: 2, idle_timeout: 30m }
        health_check:
          type: staged
          stages:
            - { name: startup, endpoint: /health/startup, start_period: 120s, interval: 10s, timeout: 5s }
            - { name: ready, endpoint: /health/ready, interval: 10s, timeout: 5s }
      - name: Late
        image: cascade/late
        ports: { health: 8230 }
        health_check: { template: lightweight_check }
`;

function errorsOf(text: string, stack: StackContext = {}): string[] {
  try {
    parseFleet(text, "fleet.yaml", stack);
  } catch (error) {
    if (error instanceof FleetError) return error.errors;
    throw error;
  }
  assert.fail("expected the fleet to be rejected");
}

function edit(from: string, to: string): string {
  assert.ok(VALID.includes(from), `fixture has no "${from}"`);
  return VALID.replace(from, to);
}

describe("fleet loader", () => {
  it("loads a valid fleet with defaults, templates and group settings applied", () => {
    const fleet = parseFleet(VALID, "fleet.yaml", { gpuAvailable: true });
    const [registry, twin, models] = fleet.agents;
    assert.equal(registry.health.intervalSeconds, 5);
    assert.equal(registry.health.timeoutSeconds, 30, "Docker's default timeout");
    assert.equal(registry.health.retries, 3, "Docker's default retries");
    assert.equal(registry.health.startPeriodSeconds, 0, "Docker's default start period");
    assert.equal(twin.health.intervalSeconds, 10, "from the template");
    assert.equal(twin.wave, 1);
    assert.equal(twin.critical, true, "from the group");
    assert.equal(models.wave, 2);
    assert.equal(models.critical, false);
    assert.deepEqual(models.gpu, { count: 1, deviceIds: [] });
    assert.equal(models.health.startPeriodSeconds, 120, "sum of the stages' start periods");
    assert.deepEqual(
      models.health.checks.map((c) => c.path),
      ["/health/ready"],
    );
    assert.equal(models.models?.idleTimeoutSeconds, 1800);
  });

  const cases: { name: string; text: string; stack?: StackContext; expected: string }[] = [
    {
      name: "a bad duration",
      text: edit("interval: 5s", "interval: 5 seconds"),
      expected:
        'fleet.yaml:23:21: groups.core.agents[0].health_check.interval: expected a duration such as "5s", "2m" or "1m30s"',
    },
    {
      name: "an unknown key, rejected rather than ignored",
      text: edit("        image: cascade/twin", "        image: cascade/twin\n        replicas: 2"),
      expected:
        'fleet.yaml:26:9: groups.core.agents[1].replicas: unknown key "replicas"; remove it or check its spelling',
    },
    {
      name: "an unknown dependency, with a suggestion",
      text: edit("depends_on: [Registry]", "depends_on: [Registry, Regsitry]"),
      expected:
        'fleet.yaml:27:32: groups.core.agents[1].depends_on[1]: unknown dependency "Regsitry": no agent of that name in fleet.yaml. Did you mean "Registry"?',
    },
    {
      name: "a dependency cycle, printed as a path",
      text: edit(
        "ports: { service: 7200, health: 8200 }",
        "ports: { service: 7200, health: 8200 }\n        depends_on: [Twin]",
      ),
      expected:
        "fleet.yaml:20:22: groups.core.agents[0].depends_on[0]: dependency cycle: Registry -> Twin -> Registry; remove one of these dependencies",
    },
    {
      name: "a duplicate name",
      text: edit("- name: Models", "- name: Registry"),
      expected:
        'fleet.yaml:32:15: groups.engine.agents[0].name: duplicate agent name "Registry" (also in group "core"); rename one of them',
    },
    {
      name: "two agents sharing a port",
      text: edit("ports: { health: 8220 }", "ports: { health: 8200 }"),
      expected:
        'fleet.yaml:26:26: groups.core.agents[1].ports.health: port 8200 of "Twin" is already used by "Registry" on host testhost; pick a free port from the port plan',
    },
    {
      name: "an agent declared in a wave earlier than its dependency",
      text: edit("depends_on: [Registry]", "depends_on: [Registry, Late]"),
      expected:
        'fleet.yaml:27:32: groups.core.agents[1].depends_on[1]: "Twin" is declared in wave_1 but depends on "Late" in the later wave_2; move "Twin" to wave_2 or later, or drop the dependency',
    },
    {
      name: "a GPU asked for on a stack without GPU",
      text: VALID,
      stack: { stack: "pc2", gpuAvailable: false },
      expected:
        'fleet.yaml:36:14: groups.engine.agents[0].gpu: "Models" asks for a GPU but stack pc2 is configured without one (cascade:gpu is false); set gpu: false for this agent, or cascade:gpu: true if the host has an NVIDIA GPU',
    },
    {
      name: "a dependency check on an agent that is not a dependency",
      text: edit(
        "          interval: 5s\n",
        "          interval: 5s\n          dependency_checks:\n            - service: Models\n",
      ),
      expected:
        'fleet.yaml:25:24: groups.core.agents[0].health_check.dependency_checks[0].service: dependency check on "Models", which "Registry" does not depend on; add it to depends_on or remove the check',
    },
    {
      name: "an unknown health template",
      text: edit("{ template: lightweight_check }", "{ template: lightweight }"),
      expected:
        'fleet.yaml:28:35: groups.core.agents[1].health_check.template: unknown health template "lightweight"; define it under health_templates (defined: lightweight_check). Did you mean "lightweight_check"?',
    },
    {
      name: "a model cache limit below one",
      text: edit("max_models_in_memory: 2", "max_models_in_memory: 0"),
      expected:
        "fleet.yaml:40:51: groups.engine.agents[0].models.cache_strategy.max_models_in_memory: Too small: expected number to be >=1",
    },
  ];

  for (const { name, text, stack, expected } of cases) {
    it(`rejects ${name}, at its position`, () => {
      assert.deepEqual(errorsOf(text, stack), [expected]);
    });
  }

  it("rejects more preloaded models than fit in memory", () => {
    const text = edit("preload: [phi-2]", "preload: [phi-2, phi-3, tiny-llama]");
    assert.deepEqual(errorsOf(text), [
      "fleet.yaml:38:20: groups.engine.agents[0].models.preload: 3 models to preload but max_models_in_memory is 2; preload fewer or raise the limit",
    ]);
  });

  it("reports every problem at once, in file order", () => {
    const text = edit("ports: { health: 8220 }", "ports: { health: 8200 }").replace(
      "depends_on: [Twin]",
      "depends_on: [Nobody]",
    );
    const errors = errorsOf(text);
    assert.equal(errors.length, 2);
    assert.match(errors[0], /^fleet\.yaml:26:\d+: .*port 8200/);
    assert.match(errors[1], /^fleet\.yaml:35:\d+: .*unknown dependency "Nobody"/);
  });

  it("reports a YAML syntax error with its position", () => {
    const [error] = errorsOf(edit("  core:\n", "  core:\n   bad: [\n"));
    assert.match(error, /^fleet\.yaml:\d+:\d+: /);
  });
});
