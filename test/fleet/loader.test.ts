import { strict as assert } from "node:assert";
import { FleetError, parseFleet } from "../../src/fleet/loader";
import type { StackContext } from "../../src/fleet/checks";
import { VALID_FLEET as VALID } from "../support/fleet-fixture";

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
        'fleet.yaml:23:21: groups.core.agents[0].health_check.interval: "5 seconds" is not a duration: write one such as "5s", "2m" or "1m30s"',
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
        'fleet.yaml:36:14: groups.engine.agents[0].gpu: "Models" asks for a GPU but stack pc2 is configured without one (cascade:gpu is false); set gpu: false for this agent, cascade:gpu: true if the host has an NVIDIA GPU, or cascade:runGpuAgentsOnCpu: true to run it without one (to try the fleet on a machine without a GPU)',
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
        'fleet.yaml:28:35: groups.core.agents[1].health_check.template: unknown health template "lightweight"; define it under health_templates (defined: "lightweight_check"). Did you mean "lightweight_check"?',
    },
    {
      name: "a model cache limit below one",
      text: edit("max_models_in_memory: 2", "max_models_in_memory: 0"),
      expected:
        "fleet.yaml:40:51: groups.engine.agents[0].models.cache_strategy.max_models_in_memory: must be at least 1",
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

describe("fleet loader: bad input that once crashed, hung or was accepted", () => {
  /** The one problem of `text`, which must be positioned and single. */
  const only = (text: string, stack: StackContext = {}): string => {
    const errors = errorsOf(text, stack);
    assert.equal(errors.length, 1, errors.join("\n"));
    return errors[0];
  };

  it("positions an alias without an anchor at the alias", () => {
    assert.equal(
      only(edit("image: cascade/twin", "image: *nope")),
      "fleet.yaml:25:16: alias *nope has no anchor &nope before it; define the anchor first, or write the value out",
    );
  });

  it("refuses an alias bomb at an alias, and an alias inside its own anchor", () => {
    const levels = Array.from(
      { length: 9 },
      (_, i) => `        l${i + 1}: &l${i + 1} [${Array(9).fill(`*l${i}`).join(", ")}]`,
    );
    const bomb = edit(
      "        image: cascade/twin\n",
      `        image: cascade/twin\n        l0: &l0 [lol]\n${levels.join("\n")}\n`,
    );
    assert.match(
      only(bomb),
      /^fleet\.yaml:\d+:\d+: aliases here expand the file past \d+ values \(an alias bomb\)/,
    );
    assert.match(
      only(edit("image: cascade/twin", "image: &me [*me]")),
      /^fleet\.yaml:25:21: alias \*me is inside its own anchor/,
    );
  });

  it("accepts a fleet whose 300 agents share one anchored health check", () => {
    const agents = Array.from(
      { length: 300 },
      (_, i) =>
        `      - { name: A${i}, image: x, ports: { health: ${10000 + i} }, health_check: ${i ? "*hc" : "&hc { type: http, endpoint: /health, interval: 5s }"} }`,
    );
    const text = `host: h\nwaves: [{ name: w, window: [0s, 60s] }]\ngroups:\n  g:\n    wave: w\n    agents:\n${agents.join("\n")}\n`;
    const fleet = parseFleet(text, "fleet.yaml");
    assert.equal(fleet.agents.length, 300);
    assert.equal(fleet.agents[299].health.intervalSeconds, 5);
  });

  it("answers a 50,000-character unknown dependency with the name limit, not an edit distance", () => {
    const long = `Registr${"y".repeat(50_000)}`;
    const error = only(edit("depends_on: [Registry]", `depends_on: [${long}]`));
    assert.match(
      error,
      /^fleet\.yaml:27:22: groups\.core\.agents\[1\]\.depends_on\[0\]: name of 50007 characters \("Registryyy.*\.\.\."\); a name has at most 63/,
    );
    assert.ok(error.length < 400);
  });

  it("escapes a newline in a key or value, so no line can pass for another problem", () => {
    const errors = errorsOf(
      edit("- name: Twin", '- name: "Twin\\nother.yaml:1:1: forged"\n        "bad\\nkey": 1'),
    );
    assert.equal(errors.length, 2);
    for (const line of errors) assert.match(line, /^fleet\.yaml:\d+:\d+: [^\n]*$/);
    assert.ok(errors.some((line) => line.includes('"Twin\\u000aother.yaml:1:1: forged"')));
    assert.ok(
      errors.some((line) => line.includes('groups.core.agents[1]["bad\\u000akey"]: unknown key')),
    );
  });

  it("rejects two agents that become one container and Kubernetes name, naming both", () => {
    const text = edit("- name: Registry", "- name: Foo_Bar")
      .replace("- name: Twin", "- name: foo-bar")
      .replace("[Registry]", "[Foo_Bar]")
      .replace("[Twin]", "[foo-bar]");
    assert.equal(
      only(text),
      'fleet.yaml:24:15: groups.core.agents[1].name: "foo-bar" and "Foo_Bar" (groups.core.agents[0].name) both become "foo-bar" as container and Kubernetes names; rename one of them',
    );
  });

  it("rejects a name too long once converted, and one too long as written", () => {
    const camel = "AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGhIjKlMn"; // 40 characters, 59 converted... and more
    const longer = `${camel}OpQrStUvWx`;
    assert.match(
      only(edit("- name: Late", `- name: ${longer}`)),
      /becomes "ab-cd-ef-.*" as a container and Kubernetes name, 74 characters where at most 63 fit; shorten the name$/,
    );
    assert.match(
      only(edit("- name: Late", `- name: L${"a".repeat(63)}`)),
      /name of 64 characters .*a name has at most 63/,
    );
  });

  it("rejects agents named like the monitoring and files containers", () => {
    for (const [name, what] of [
      ["Prometheus", "stack's Prometheus container"],
      ["Grafana", "stack's Grafana container"],
      ["FilesSeeder", "container that fills the stack's files volume"],
    ]) {
      assert.match(
        only(edit("- name: Late", `- name: ${name}`)),
        new RegExp(`^fleet\\.yaml:46:15: .*, the name of the ${what}; rename the agent$`),
      );
    }
  });

  it("rejects two waves of one name at the second", () => {
    const third = "  - name: wave_1\n    window: [180s, 240s]\nhealth_templates:";
    assert.equal(
      only(edit("health_templates:", third)),
      'fleet.yaml:7:11: waves[2].name: wave "wave_1" is declared twice (also waves[0]); give each wave its own name',
    );
  });

  it("rejects templates named after Object.prototype members", () => {
    for (const name of ["constructor", "toString", "hasOwnProperty"]) {
      assert.match(
        only(edit("{ template: lightweight_check }", `{ template: ${name} }`)),
        new RegExp(`^fleet\\.yaml:28:35: .*unknown health template "${name}"`),
      );
    }
    assert.match(
      only(edit("{ template: lightweight_check }", "{ template: __proto__ }")),
      /^fleet\.yaml:28:35: .*"__proto__" is not a name/,
    );
  });

  it("rejects durations that overflow, or that Docker cannot hold", () => {
    for (const duration of [`${"9".repeat(400)}s`, "2562048h"]) {
      assert.match(
        only(edit("interval: 5s", `interval: ${duration}`)),
        /^fleet\.yaml:23:21: .*longer than Docker can hold/,
      );
    }
    const fleet = parseFleet(edit("interval: 5s", "interval: 2562047h"), "fleet.yaml");
    assert.equal(fleet.agents[0].health.intervalSeconds, 2562047 * 3600);
  });

  it("rejects 0s intervals and timeouts, however they are spelt", () => {
    for (const [field, duration] of [
      ["interval", "0s"],
      ["interval", "0.0001s"],
      ["timeout", "0ms"],
    ]) {
      assert.match(
        only(edit("interval: 5s", `${field}: ${duration}`)),
        new RegExp(`health_check\\.${field}: must be longer than 0s`),
      );
    }
  });

  it("rejects a dependency listed twice, at the repeat", () => {
    assert.equal(
      only(edit("depends_on: [Registry]", "depends_on: [Registry, Registry]")),
      'fleet.yaml:27:32: groups.core.agents[1].depends_on[1]: "Registry" is listed twice in depends_on (also at [0]); remove the repeat',
    );
  });

  it("rejects a fleet with no groups", () => {
    const text = VALID.slice(0, VALID.indexOf("groups:")) + "groups: {}\n";
    assert.equal(
      only(text),
      "fleet.yaml:12:9: groups: no groups, so no agents: add a group with at least one agent",
    );
  });

  it("says an empty or comment-only file is empty", () => {
    for (const text of ["", "\n\n", "# just a comment\n", "---\n"]) {
      assert.match(only(text), /^fleet\.yaml:1:1: the fleet file is empty/);
    }
  });

  it("positions duplicate keys, deep nesting, tags and a second document", () => {
    assert.match(
      only(edit("image: cascade/twin", "image: cascade/twin\n        image: again")),
      /^fleet\.yaml:26:9: duplicate key "image" \(first at 25:9\)/,
    );
    assert.match(
      only(`host: ${"[".repeat(5000)}`),
      /^fleet\.yaml:1:\d+: nested more than 64 levels deep/,
    );
    assert.match(
      only(edit("image: cascade/twin", "image: !!str cascade/twin")),
      /^fleet\.yaml:25:16: YAML tags/,
    );
    assert.match(only(`${VALID}---\nhost: other\n`), /^fleet\.yaml:51:1: a second YAML document/);
  });
});
