import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { loadFleet } from "../../src/fleet/loader";
import type { Fleet } from "../../src/fleet/model";
import { planFleet, type Ordering } from "../../src/fleet/planner";
import { healthTiming } from "../../src/fleet/timing";
import { ALERT_NAMES } from "../../src/monitoring";
import { dockerDuration } from "../../src/docker/healthcheck";
import { PROMETHEUS_CONFIG_PATH, PROMETHEUS_RULES_PATH } from "../../src/docker/monitoring";
import {
  ofType,
  runProgram,
  stackConfig,
  type ProgramRun,
  type RegisteredResource,
} from "../support/pulumi-harness";
import { buildProbe } from "../support/probe";

/**
 * The whole program (src/index.ts) under mocks, per stack, with the stack's real config:
 * the resource graph, every container's inputs, the dependsOn edges against the planner's.
 */

const CONTAINER = "docker:index/container:Container";
const GROUP = "cascade:docker:AgentGroup";
const GOLDEN_DIR = path.join(__dirname, "..", "golden");

interface StackCase {
  stack: string;
  fleet: Fleet;
  margin: number;
  configOrdering: Ordering;
}

function stackCase(stack: string): StackCase {
  const config = stackConfig(stack);
  return {
    stack,
    fleet: loadFleet(config["cascade:fleet"], {
      stack,
      gpuAvailable: config["cascade:gpu"] === "true",
    }),
    margin: 60,
    configOrdering: config["cascade:ordering"] as Ordering,
  };
}

/** Agent containers by agent name (children of the AgentGroups). */
function agentContainers(run: ProgramRun): Map<string, RegisteredResource> {
  const groups = new Set(ofType(run, GROUP).map((g) => g.name));
  const map = new Map<string, RegisteredResource>();
  for (const c of ofType(run, CONTAINER)) {
    if (c.parent === undefined || !groups.has(c.parent)) continue;
    map.set(c.name.slice(c.parent.length + 1), c);
  }
  return map;
}

function label(c: RegisteredResource, key: string): string | undefined {
  return (c.inputs["labels"] as { label: string; value: string }[]).find((l) => l.label === key)
    ?.value;
}

for (const stack of ["mainpc", "pc2"]) {
  describe(`docker program, stack ${stack} (mocks, real config)`, function () {
    this.timeout(60_000);
    before(buildProbe); // the Docker target uploads the health probe binary: the program reads it
    const sc = stackCase(stack);
    let run: ProgramRun;
    before(async () => {
      run = await runProgram({ stack });
    });

    it("creates one container per fleet agent, in its group's AgentGroup", () => {
      const containers = agentContainers(run);
      assert.deepEqual([...containers.keys()].sort(), sc.fleet.agents.map((a) => a.name).sort());
      for (const agent of sc.fleet.agents) {
        assert.equal(containers.get(agent.name)!.parent, agent.group, agent.name);
        assert.equal(label(containers.get(agent.name)!, "cascade.group"), agent.group);
      }
      assert.deepEqual(
        ofType(run, GROUP)
          .map((g) => g.name)
          .sort(),
        sc.fleet.groups.map((g) => g.name).sort(),
      );
    });

    it("one provider on the stack's host, one network, one RemoteImage per agent", () => {
      const config = stackConfig(stack);
      const [provider, ...more] = run.resources.filter((r) => r.type === "pulumi:providers:docker");
      assert.equal(more.length, 0);
      assert.equal(provider.inputs["host"], config["cascade:dockerHost"]);
      const networks = ofType(run, "docker:index/network:Network");
      assert.deepEqual(
        networks.map((n) => n.inputs["name"]),
        [config["cascade:network"]],
      );
      const images = agentImages(run);
      const expected = sc.fleet.agents.map((a) => `${a.image}:${config["cascade:imageTag"]}`);
      assert.deepEqual(images.map((i) => i.inputs["name"]).sort(), expected.sort());
      assert.ok(images.every((i) => i.inputs["keepLocally"] === true));
      for (const agent of sc.fleet.agents) {
        const container = agentContainers(run).get(agent.name)!;
        const image = images.find((i) => i.name === `${container.parent}-${agent.name}-image`);
        assert.ok(image, `${agent.name} has its own image resource`);
        assert.equal(image.parent, container.parent);
        assert.ok(container.dependsOn.includes(image.name), `${agent.name} uses its image`);
      }
    });

    it("every container: healthcheck, wait, waitTimeout = worst case + margin, restart", () => {
      const containers = agentContainers(run);
      for (const agent of sc.fleet.agents) {
        const inputs = containers.get(agent.name)!.inputs;
        const hc = inputs["healthcheck"] as Record<string, unknown>;
        assert.equal(hc["interval"], dockerDuration(agent.health.intervalSeconds), agent.name);
        assert.equal(hc["timeout"], dockerDuration(agent.health.timeoutSeconds), agent.name);
        assert.equal(hc["retries"], agent.health.retries, agent.name);
        assert.equal(
          hc["startPeriod"],
          dockerDuration(agent.health.startPeriodSeconds),
          agent.name,
        );
        assert.equal((hc["tests"] as string[])[0], "CMD");
        const spec = JSON.parse((hc["tests"] as string[])[3]) as { service: string };
        assert.equal(spec.service, agent.name);
        assert.equal(inputs["wait"], true);
        assert.equal(
          inputs["waitTimeout"],
          healthTiming(agent.health).worstSeconds + sc.margin,
          agent.name,
        );
        assert.equal(inputs["restart"], agent.restart.maxAttempts > 0 ? "on-failure" : "always");
        assert.equal(
          inputs["maxRetryCount"],
          agent.restart.maxAttempts > 0 ? agent.restart.maxAttempts : undefined,
        );
      }
    });

    it("GPU device requests on GPU agents only", () => {
      const containers = agentContainers(run);
      for (const agent of sc.fleet.agents) {
        const requests = containers.get(agent.name)!.inputs["deviceRequests"] as
          { driver: string }[] | undefined;
        if (agent.gpu) assert.equal(requests?.[0]?.driver, "nvidia", agent.name);
        else assert.equal(requests, undefined, agent.name);
      }
      if (stack === "mainpc") assert.ok(sc.fleet.agents.some((a) => a.gpu));
    });

    it("labels agent, group, wave, critical, stack on every container", () => {
      for (const [name, c] of agentContainers(run)) {
        const agent = sc.fleet.agents.find((a) => a.name === name)!;
        assert.equal(label(c, "cascade.agent"), name);
        assert.equal(label(c, "cascade.wave"), String(agent.wave));
        assert.equal(label(c, "cascade.critical"), String(agent.critical));
        assert.equal(label(c, "cascade.stack"), stack);
      }
    });

    it(`dependsOn edges equal the planner's (${sc.configOrdering}, from the stack config)`, () => {
      assertEdges(run, sc.fleet, sc.configOrdering);
    });

    it("containers wait for the files volume's seeder; model configs are uploaded to it", () => {
      const seeder = ofType(run, CONTAINER).find((c) => c.name === `${stack}-files-seeder`)!;
      assert.equal(seeder.inputs["start"], false);
      const uploads = seeder.inputs["uploads"] as {
        file: string;
        content?: string;
        source?: string;
      }[];
      for (const agent of sc.fleet.agents.filter((a) => a.models)) {
        const upload = uploads.find((u) => u.file === `/opt/cascade/models/${agent.name}.json`);
        assert.ok(upload?.content, agent.name);
      }
      assert.ok(uploads.some((u) => u.file === "/opt/cascade/bin/cascade-probe" && u.source));
      for (const c of agentContainers(run).values())
        assert.ok(c.dependsOn.includes(seeder.name), c.name);
    });

    it("Prometheus gets a target per agent with service/group/wave/critical labels, and the rules", () => {
      const prometheus = ofType(run, CONTAINER).find(
        (c) => c.name === `${stack}-monitoring-prometheus`,
      )!;
      const uploads = prometheus.inputs["uploads"] as { file: string; content: string }[];
      const config = parse(uploads.find((u) => u.file === PROMETHEUS_CONFIG_PATH)!.content) as {
        scrape_configs: {
          static_configs: { targets: string[]; labels: Record<string, string> }[];
        }[];
      };
      const targets = config.scrape_configs[0].static_configs;
      assert.equal(targets.length, sc.fleet.agents.length);
      for (const agent of sc.fleet.agents) {
        const t = targets.find((g) => g.labels["service"] === agent.name)!;
        assert.deepEqual(t.targets, [
          `cascade-${stack}-${kebabOf(run, agent.name)}:${agent.healthPort}`,
        ]);
        assert.equal(t.labels["group"], agent.group);
        assert.equal(t.labels["wave"], String(agent.wave));
        assert.equal(t.labels["critical"], String(agent.critical));
      }
      const rules = uploads.find((u) => u.file === PROMETHEUS_RULES_PATH)!.content;
      for (const name of Object.values(ALERT_NAMES))
        assert.match(rules, new RegExp(`alert: ${name}`));
    });

    it("exports per agent container name, wave, health URL and URN, and the critical path", () => {
      const outputs = run.outputs as {
        agents: Record<string, { name: string; wave: number; healthUrl: string; urns: string[] }>;
        criticalPath: { agents: string[]; seconds: number; ordering: string };
      };
      const config = stackConfig(stack);
      for (const agent of sc.fleet.agents) {
        const out = outputs.agents[agent.name];
        const container = agentContainers(run).get(agent.name)!;
        assert.equal(out.name, container.inputs["name"]);
        const image = agentImages(run).find(
          (i) => i.name === `${container.parent}-${agent.name}-image`,
        )!;
        assert.deepEqual(out.urns, [container.urn, image.urn]);
        assert.equal(out.wave, agent.wave);
        // The standard health response (degraded and error rate included), staged agents too.
        assert.equal(
          out.healthUrl,
          `http://${config["cascade:publicHost"]}:${agent.healthPort}/health`,
        );
      }
      const plan = planFleet(sc.fleet, sc.configOrdering);
      assert.deepEqual(outputs.criticalPath.agents, plan.criticalPath.agents);
    });

    it(`matches the golden graph test/golden/docker-${stack}.json (UPDATE_GOLDEN=1 rewrites it)`, () => {
      const file = path.join(GOLDEN_DIR, `docker-${stack}.json`);
      const actual = `${JSON.stringify(golden(run), null, 2)}\n`;
      if (process.env["UPDATE_GOLDEN"] === "1") writeFileSync(file, actual);
      assert.ok(existsSync(file), `${file} is missing: run with UPDATE_GOLDEN=1`);
      assert.equal(
        actual,
        readFileSync(file, "utf8"),
        `graph changed; review and run UPDATE_GOLDEN=1 npx mocha ${path.relative(process.cwd(), __filename)}`,
      );
    });
  });

  describe(`docker program, stack ${stack}, the other ordering`, function () {
    this.timeout(60_000);
    before(buildProbe);
    const sc = stackCase(stack);
    const other: Ordering = sc.configOrdering === "waves" ? "dependencies" : "waves";
    it(`dependsOn edges equal the planner's (${other})`, async () => {
      const run = await runProgram({ stack, config: { ordering: other } });
      assertEdges(run, sc.fleet, other);
    });
  });
}

describe("docker program: secrets and GPU", function () {
  this.timeout(60_000);
  before(buildProbe);
  const password = "pa55-word-that-must-not-leak";

  it("reads the registry password as a secret only, and no plain input holds it", async () => {
    const run = await runProgram({
      stack: "pc2",
      config: { imageRegistry: "registry.example.com/cascade", registryUsername: "deploy" },
      secrets: { registryPassword: password },
    });
    const provider = run.resources.find((r) => r.type === "pulumi:providers:docker")!;
    assert.ok(JSON.stringify(provider.inputs).includes(password), "the provider gets the password");
    assert.ok(
      provider.secretInputs.some((p) => p.startsWith("registryAuth")),
      "marked secret",
    );
    for (const r of run.resources.filter((x) => x !== provider)) {
      assert.ok(!JSON.stringify(r.inputs).includes(password), `${r.name} holds the password`);
    }
    const images = agentImages(run);
    assert.ok(
      images.every((i) => String(i.inputs["name"]).startsWith("registry.example.com/cascade/")),
    );
  });

  it("without a registry user there is no registry auth at all", async () => {
    const run = await runProgram({ stack: "pc2" });
    const provider = run.resources.find((r) => r.type === "pulumi:providers:docker")!;
    assert.equal(provider.inputs["registryAuth"], undefined);
  });

  it("a GPU agent on a stack without GPU is a plan error", async () => {
    await assert.rejects(runProgram({ stack: "mainpc", config: { gpu: false } }), /GPU|gpu/);
  });
});

function assertEdges(run: ProgramRun, fleet: Fleet, ordering: Ordering): void {
  const plan = planFleet(fleet, ordering);
  const containers = agentContainers(run);
  const agentOf = new Map([...containers].map(([agent, c]) => [c.name, agent]));
  let edges = 0;
  for (const planned of plan.agents) {
    const actual = containers
      .get(planned.name)!
      .dependsOn.filter((name) => agentOf.has(name))
      .map((name) => agentOf.get(name)!)
      .sort();
    assert.deepEqual(actual, [...planned.dependsOn].sort(), `${planned.name} (${ordering})`);
    edges += actual.length;
  }
  assert.ok(edges > 0, "no edges at all");
}

/** The agents' images: the DockerFleet's own RemoteImages (the stack's name), not monitoring's. */
/** Every agent's RemoteImage (not the files seeder's or the monitoring containers'). */
function agentImages(run: ProgramRun): RegisteredResource[] {
  const groups = new Set(ofType(run, GROUP).map((g) => g.name));
  return ofType(run, "docker:index/remoteImage:RemoteImage").filter(
    (i) => i.parent !== undefined && groups.has(i.parent),
  );
}

function kebabOf(run: ProgramRun, agent: string): string {
  const c = agentContainers(run).get(agent)!;
  return String(c.inputs["name"]).replace(/^cascade-[^-]+-/, "");
}

/** The graph for review: type, name, parent, dependsOn and the inputs that matter. */
function golden(run: ProgramRun): object[] {
  // Sorted: registration order depends on when each dependsOn promise settles.
  const sorted = [...run.resources].sort((a, b) =>
    `${a.type} ${a.name}`.localeCompare(`${b.type} ${b.name}`),
  );
  return sorted.map((r) => ({
    type: r.type,
    name: r.name,
    parent: r.parent ?? null,
    dependsOn: r.dependsOn,
    ...(r.custom ? { inputs: keyInputs(r) } : {}),
  }));
}

function keyInputs(r: RegisteredResource): Record<string, unknown> {
  const inputs = { ...r.inputs };
  if (Array.isArray(inputs["uploads"])) {
    inputs["uploads"] = (
      inputs["uploads"] as { file: string; content?: string; source?: string }[]
    ).map((u) =>
      u.content !== undefined
        ? {
            file: u.file,
            sha256: createHash("sha256").update(u.content).digest("hex").slice(0, 16),
          }
        : { file: u.file, source: u.source },
    );
  }
  const hc = inputs["healthcheck"] as { tests?: string[] } | undefined;
  if (hc?.tests?.[2] === "--spec-json") {
    inputs["healthcheck"] = {
      ...hc,
      tests: [...hc.tests.slice(0, 3), JSON.parse(hc.tests[3]) as unknown],
    };
  }
  return inputs;
}
