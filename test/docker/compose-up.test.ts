import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { writeProjectFiles } from "../../src/docker/compose-project";
import { loadFleet } from "../../src/fleet/loader";
import { ORDERINGS, planFleet } from "../../src/fleet/planner";
import { stackCompose } from "../../src/cli/export-command";
import { composeRehearsal } from "../../src/rehearse/compose-rehearsal";
import { dockerClient } from "../../src/rehearse/run";
import { REHEARSAL_LABEL } from "../../src/rehearse/scale";
import { stackSettingsSchema } from "../../src/stack/settings";

const exec = promisify(execFile);
const ROOT = path.resolve(__dirname, "../..");

/**
 * The exported Compose file as Debian's docker-compose (1.29) reads and runs it, on the local
 * dockerd with the stand-in image (scripts/install-system-packages.sh, scripts/dockerd.sh).
 */
describe("cascade export compose with docker-compose", function () {
  this.timeout(240_000);
  let dir = "";
  let image = "";

  before(async function () {
    this.timeout(600_000);
    try {
      await exec("docker-compose", ["version"]);
      await exec(path.join(ROOT, "scripts/dockerd.sh"), ["start"]);
    } catch {
      console.log(
        "    skipped: docker-compose or docker.io is not installed (scripts/install-system-packages.sh)",
      );
      this.skip();
    }
    const built = await exec(path.join(ROOT, "scripts/build-standin-image.sh"), {
      maxBuffer: 1 << 20,
    });
    image = built.stdout.trim().split("\n").at(-1) ?? "";
    dir = mkdtempSync(path.join(tmpdir(), "cascade-export-"));
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const stack of ["mainpc", "pc2"]) {
    for (const ordering of ORDERINGS) {
      it(`${stack}, ${ordering}: docker-compose config accepts it and reads the plan's edges back`, async () => {
        const exported = stackCompose({ stack, ordering, composeDir: dir });
        writeProjectFiles(exported.filesDir, exported.project.files);
        const file = path.join(dir, `${stack}-${ordering}.yaml`);
        writeFileSync(file, exported.project.text);
        const { stdout } = await exec("docker-compose", ["-f", file, "config"], {
          cwd: dir,
          maxBuffer: 16 << 20,
        });
        const read = parse(stdout) as {
          services: Record<string, { depends_on?: Record<string, { condition: string }> }>;
        };
        for (const agent of exported.plan.agents) {
          const dependsOn = read.services[agent.name].depends_on ?? {};
          assert.deepEqual(Object.keys(dependsOn).sort(), [...agent.dependsOn].sort(), agent.name);
          assert.ok(Object.values(dependsOn).every((d) => d.condition === "service_healthy"));
        }
      });
    }
  }

  it("docker-compose up brings the fixture fleet up with the stand-ins, each after its dependencies are healthy", async () => {
    const fleetFile = "test/rehearse/fixtures/fleet.yaml";
    const fleet = loadFleet(fleetFile, { stack: "rehearsal", gpuAvailable: false });
    const docker = dockerClient();
    const result = await composeRehearsal({
      docker,
      stack: "rehearsal",
      settings: stackSettingsSchema.parse({ fleet: fleetFile, gpu: false }),
      fleet,
      ordering: "dependencies",
      scale: 0.25,
      minIntervalMs: 1000,
      image,
      projectRoot: ROOT,
    });
    assert.equal(result.outcome, "healthy", result.failure);
    const byAgent = new Map(result.agents.map((agent) => [agent.agent, agent]));
    for (const planned of planFleet(fleet, "dependencies").agents) {
      const agent = byAgent.get(planned.name)!;
      assert.ok(agent.dockerHealthyMs !== undefined, `${planned.name} never healthy`);
      for (const dependency of planned.dependsOn) {
        assert.ok(
          agent.startedMs! >= byAgent.get(dependency)!.dockerHealthyMs!,
          `${planned.name} started at ${agent.startedMs} ms, before ${dependency} was healthy`,
        );
      }
    }
    const left = await docker.listContainers({
      all: true,
      filters: { label: [`${REHEARSAL_LABEL}=${result.runId}`] },
    });
    assert.equal(left.length, 0, "docker-compose down removed everything");
  });
});
