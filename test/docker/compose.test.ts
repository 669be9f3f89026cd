import { strict as assert } from "node:assert";
import fc from "fast-check";
import path from "node:path";
import { parse } from "yaml";
import { composeService, renderCompose, type ComposeFile } from "../../src/docker/compose";
import { fleetCompose, relativeReference } from "../../src/docker/compose-project";
import { containerSpecs, type ContainerSpec } from "../../src/docker/container-spec";
import { PROBE_PATH } from "../../src/docker/paths";
import { loadFleet } from "../../src/fleet/loader";
import { ORDERINGS, type Ordering } from "../../src/fleet/planner";
import { stackSettingsSchema, type StackSettings } from "../../src/stack/settings";
import { modelConfigJson } from "../../src/targets/agent-contract";

/** `cascade export compose` without Docker: the file's content, read back as Compose reads it. */

const ROOT = path.resolve(__dirname, "../..");
const fleets = {
  mainpc: loadFleet("fleet/mainpc.yaml", { stack: "mainpc", gpuAvailable: true }),
  pc2: loadFleet("fleet/pc2.yaml", { stack: "pc2", gpuAvailable: false }),
};

function settings(
  stack: keyof typeof fleets,
  overrides: Record<string, unknown> = {},
): StackSettings {
  return stackSettingsSchema.parse({
    fleet: `fleet/${stack}.yaml`,
    gpu: stack === "mainpc",
    imageTag: "1.0.0",
    ...overrides,
  });
}

function exported(stack: keyof typeof fleets, ordering: Ordering, overrides = {}) {
  const result = fleetCompose({
    stack,
    settings: settings(stack, overrides),
    fleet: fleets[stack],
    ordering,
    composeDir: "/srv/compose",
    projectRoot: ROOT,
  });
  // docker-compose reads YAML 1.1; so does this.
  const file = parse(result.project.text, { version: "1.1" }) as ComposeFile;
  return { ...result, file };
}

let baseSpec: ContainerSpec | undefined;
function spec(overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  baseSpec ??= containerSpecs(fleets.mainpc, exported("mainpc", "waves").plan, {
    stack: "mainpc",
    settings: settings("mainpc"),
  })[0];
  return { ...baseSpec, ...overrides };
}

const OPTIONS = { filesVolume: "cascade-mainpc-files", filesDir: "./files", network: "n" };

describe("cascade export compose (pure)", () => {
  for (const stack of ["mainpc", "pc2"] as const) {
    for (const ordering of ORDERINGS) {
      it(`${stack}, ${ordering}: depends_on is exactly the plan's edges, each on service_healthy`, () => {
        const { plan, file } = exported(stack, ordering);
        assert.deepEqual(Object.keys(file.services).sort(), plan.agents.map((a) => a.name).sort());
        for (const agent of plan.agents) {
          const dependsOn = file.services[agent.name].depends_on ?? {};
          assert.deepEqual(Object.keys(dependsOn).sort(), [...agent.dependsOn].sort(), agent.name);
          for (const condition of Object.values(dependsOn))
            assert.deepEqual(condition, { condition: "service_healthy" });
        }
      });
    }
  }

  it("the two orderings differ where the plan's edges do: waves wait for the whole previous wave", () => {
    const waves = exported("mainpc", "waves").file.services.RequestCoordinator.depends_on!;
    const dependencies = exported("mainpc", "dependencies").file.services.RequestCoordinator
      .depends_on!;
    assert.deepEqual(Object.keys(dependencies).sort(), ["ModelOrchestrator", "SystemDigitalTwin"]);
    assert.ok(Object.keys(waves).includes("FaceRecognitionAgent"));
    assert.ok(!Object.keys(waves).includes("SystemDigitalTwin"), "wave 1 is behind wave 2");
  });

  it("keeps the container spec's healthcheck, image, name, labels, environment and hardening", () => {
    const { plan, file } = exported("mainpc", "waves");
    const specs = containerSpecs(fleets.mainpc, plan, {
      stack: "mainpc",
      settings: settings("mainpc"),
    });
    for (const s of specs) {
      const service = file.services[s.agent];
      assert.deepEqual(service.healthcheck, {
        test: s.healthcheck.tests,
        interval: s.healthcheck.interval,
        timeout: s.healthcheck.timeout,
        retries: s.healthcheck.retries,
        start_period: s.healthcheck.startPeriod,
      });
      assert.equal(service.container_name, s.name);
      assert.equal(service.image, s.image);
      assert.deepEqual(service.environment, s.envs);
      assert.deepEqual(
        service.labels,
        Object.fromEntries(s.labels.map(({ label, value }) => [label, value])),
      );
      assert.equal(service.read_only, s.readOnly);
      assert.deepEqual(service.security_opt, ["no-new-privileges:true"]);
    }
    const registry = file.services.ServiceRegistry;
    assert.equal(registry.healthcheck.test[1], PROBE_PATH);
    assert.deepEqual(registry.tmpfs, ["/tmp:rw,noexec,nosuid,size=64m"]);
    assert.equal(registry.mem_limit, "512m");
    assert.equal(registry.cpus, 0.5);
  });

  it("mounts the files directory read-only where the files volume was", () => {
    const { file, project, filesDir } = exported("mainpc", "waves");
    assert.equal(filesDir, "/srv/compose/cascade-mainpc-files");
    for (const service of Object.values(file.services)) {
      assert.deepEqual(service.volumes, [
        { type: "bind", source: "./cascade-mainpc-files", target: "/opt/cascade", read_only: true },
      ]);
    }
    assert.ok(!("volumes" in file), "no named volume to fill");
    const probe = project.files.find((f) => f.path === "bin/cascade-probe");
    assert.equal(probe?.mode, 0o755);
    assert.equal(probe?.source, path.join(ROOT, "probe/dist/cascade-probe"));
    for (const agent of fleets.mainpc.agents.filter((a) => a.models)) {
      const config = project.files.find((f) => f.path === `models/${agent.name}.json`);
      assert.equal(config?.content, modelConfigJson(agent.models!), agent.name);
    }
    const curl = exported("mainpc", "waves", { healthProbe: "curl" });
    assert.ok(!curl.project.files.some((f) => f.path === "bin/cascade-probe"));
    assert.equal(curl.file.services.ServiceRegistry.healthcheck.test[0], "CMD-SHELL");
  });

  it("refers to the files directory relative to the Compose file", () => {
    assert.equal(relativeReference("/a/b", "/a/b/files"), "./files");
    assert.equal(relativeReference("/a/b", "/a/files"), "../files");
  });

  it("reserves GPUs by device id, count, or all", () => {
    const { file } = exported("mainpc", "waves");
    assert.deepEqual(file.services.ModelManagerSuite.deploy, {
      resources: {
        reservations: { devices: [{ driver: "nvidia", capabilities: ["gpu"], device_ids: ["0"] }] },
      },
    });
    assert.deepEqual(file.services.FaceRecognitionAgent.deploy?.resources.reservations.devices, [
      { driver: "nvidia", capabilities: ["gpu"], count: 1 },
    ]);
    const all = composeService(
      spec({ deviceRequests: [{ driver: "nvidia", capabilities: ["gpu"], count: -1 }] }),
      OPTIONS,
    );
    assert.equal(all.deploy?.resources.reservations.devices[0].count, "all");
    assert.equal(file.services.ServiceRegistry.deploy, undefined);
  });

  it("spells the restart policy as Compose does", () => {
    const restart = (s: Partial<ContainerSpec>) => composeService(spec(s), OPTIONS).restart;
    assert.equal(restart({ restart: "on-failure", maxRetryCount: 5 }), "on-failure:5");
    assert.equal(restart({ restart: "on-failure", maxRetryCount: undefined }), "on-failure");
    assert.equal(restart({ restart: "always", maxRetryCount: undefined }), "always");
    const text = renderCompose(
      { services: { A: composeService(spec({ restart: "no" }), OPTIONS) } },
      "",
    );
    assert.match(text, /restart: "no"/, "a plain no is false in YAML 1.1");
  });

  it("bridge networking: the stack's network with the kebab alias and published ports", () => {
    const { file } = exported("mainpc", "waves");
    assert.deepEqual(file.networks, { cascade: { name: "cascade-mainpc", driver: "bridge" } });
    assert.deepEqual(file.services.ServiceRegistry.networks, {
      cascade: { aliases: ["service-registry"] },
    });
    assert.deepEqual(file.services.ServiceRegistry.ports, ["8200:8200", "7200:7200"]);
    const host = exported("mainpc", "waves", { networkMode: "host" }).file;
    assert.equal(host.networks, undefined);
    assert.equal(host.services.ServiceRegistry.network_mode, "host");
    assert.equal(host.services.ServiceRegistry.ports, undefined);
  });

  it("any environment value or label survives YAML 1.1 and Compose's $ interpolation", () => {
    const tricky = fc.oneof(
      fc.string({ unit: "binary" }),
      fc.constantFrom(
        "no",
        "on",
        "Y",
        "1:20",
        "010",
        "1e3",
        "~",
        "null",
        "$HOME",
        "${X:-y}",
        "a: b",
        "- x",
        "#c",
      ),
    );
    fc.assert(
      fc.property(tricky, tricky, (value, labelValue) => {
        const service = composeService(
          spec({ envs: [`K=${value}`], labels: [{ label: "l", value: labelValue }] }),
          OPTIONS,
        );
        const text = renderCompose({ services: { A: service } }, "");
        const read = (parse(text, { version: "1.1" }) as ComposeFile).services.A;
        const unescape = (s: string) => s.replace(/\$\$/g, "$");
        assert.equal(unescape(read.environment[0]), `K=${value}`);
        assert.equal(unescape(read.labels.l), labelValue);
      }),
    );
  });
});
