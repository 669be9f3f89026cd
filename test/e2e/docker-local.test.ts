// End to end with the real Pulumi engine and the Docker provider built here (tools/pulumi-docker, bridged
// from the Terraform Docker provider) against the local Docker engine: the host stacks' previews, then the
// local stacks (Pulumi.local-mainpc.yaml, Pulumi.local-pc2.yaml: the MainPC and PC2 fleets on this machine,
// every agent played by the stand-in image) brought up, checked from Docker itself, updated, deployed with a
// release that fails verification, rolled back, and destroyed. See docs/real-engine.md.
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import Docker from "dockerode";
import { containerName } from "../../src/targets/names";
import { loadFleet } from "../../src/fleet/loader";
import type { Fleet } from "../../src/fleet/model";
import { planFleet, type Plan } from "../../src/fleet/planner";
import { durationMs } from "../../src/rehearse/scale";
import type { ReportData } from "../../src/report/model";
import { fleetStackContext } from "../../src/stack/settings";
import { readStackFile } from "../../src/stack/stack-file";
import {
  assertPrinted,
  engineEnv,
  missingEngine,
  ok,
  ROOT,
  script,
  skipOrFail,
} from "../support/engine";
import { runProgram, type RegisteredResource } from "../support/pulumi-harness";
import { MAINPC, PC2, removeLocalStacks, stackContainers } from "../support/local-stacks";
import { commitAll, scratchProject, type ScratchProject } from "../support/scratch-project";

const CONTAINER = "docker:index/container:Container";
/** The data `cascade deploy --report FILE` embedded in its page. */
function deployReport(file: string): ReportData {
  const html = readFileSync(file, "utf8");
  const json = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(json, `${file} holds no report data`);
  return JSON.parse(json[1]) as ReportData;
}

/** The verify window cascade deploy/rollback use here (--verify-window), instead of the fleet's 300 s. */
const QUICK = ["--yes", "--verify-window", "20", "--poll-interval", "2"];
/** Releases made of the stand-in (scripts/standin-images.ts). */
const GOOD_TAG = "1.0.1";
const NEVER_READY_TAG = "1.0.1-never-ready";
const ERRORING_TAG = "1.0.2-erroring";

interface PreviewStep {
  op: string;
  urn: string;
  newState?: { type: string; inputs?: Record<string, unknown> };
}
interface Upload {
  file: string;
  content?: string;
}
/** The inputs the program gives an agent's docker.Container (src/docker/container-spec.ts). */
interface PlannedContainer {
  name: string;
  labels: { label: string; value: string }[];
  healthcheck: {
    tests: string[];
    interval: string;
    timeout: string;
    retries: number;
    startPeriod: string;
  };
  restart: string;
  maxRetryCount?: number;
  envs: string[];
}
/** What `cascade history --json` prints (src/cli/history-command.ts), as far as these tests read it. */
interface CascadeHistory {
  verifiedGood: number[];
  updates: { version: number; status: string; reason: string; rollback?: { target?: number } }[];
}
interface DockerEvent {
  status?: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  timeNano: number;
}

function fleetOf(stack: string): Fleet {
  const file = readStackFile(ROOT, stack);
  return loadFleet(path.join(ROOT, file.settings.fleet), fleetStackContext(stack, file.settings));
}

function standinImages(args: string[]): void {
  execFileSync(
    process.execPath,
    ["--import", "tsx", path.join(ROOT, "scripts/standin-images.ts"), ...args],
    {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
}

/**
 * Docker's events for one stack's containers from now until `stop()`. Read live: dockerd keeps only
 * its last 256 events for `since` queries, and every health probe makes several.
 */
async function watchEvents(docker: Docker, stack: string): Promise<{ stop(): DockerEvent[] }> {
  const stream = (await docker.getEvents({
    filters: { type: ["container"], label: [`cascade.stack=${stack}`] },
  })) as NodeJS.ReadableStream & { destroy(): void };
  let buffered = "";
  stream.on("data", (chunk: Buffer) => (buffered += chunk.toString()));
  return {
    stop() {
      stream.destroy();
      return buffered
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => JSON.parse(line) as DockerEvent);
    },
  };
}

function byAgent(
  containers: Docker.ContainerInspectInfo[],
): Map<string, Docker.ContainerInspectInfo> {
  return new Map(containers.map((c) => [c.Config.Labels["cascade.agent"], c]));
}

function idsByAgent(containers: Docker.ContainerInspectInfo[]): Map<string, string> {
  return new Map([...byAgent(containers)].map(([agent, c]) => [agent, c.Id]));
}

/** The file at `file` inside a container, read through `docker cp` (the stand-in image has no shell). */
function fileInContainer(container: string, file: string): string {
  return execFileSync("sh", ["-c", `docker cp "$0:$1" - | tar -xO`, container, file], {
    encoding: "utf8",
  });
}

const seconds = (text: string): number => durationMs(text) / 1000;

/** Non-"same" steps of `pulumi preview --json`, as "op type name". */
function changes(json: string): string[] {
  const steps = (JSON.parse(json) as { steps: PreviewStep[] }).steps;
  return steps
    .filter((step) => step.op !== "same")
    .map((step) => `${step.op} ${step.urn.slice(step.urn.lastIndexOf("::") + 2)}`)
    .sort();
}

describe("docker-local: real engine against the local Docker engine", function () {
  this.timeout(45 * 60_000);

  const docker = new Docker();
  let project: ScratchProject;
  const fleets = new Map<string, Fleet>();
  const plans = new Map<string, Plan>();
  const pulumi = (stack: string, args: string[]) => project.pulumi([...args, "--stack", stack]);

  before(async function () {
    const missing = missingEngine(["pulumi", "pulumi-docker"]);
    if (missing) return skipOrFail(this, `the real engine is not built (${missing})`);
    if (script("dockerd.sh", ["status"]).status !== 0) {
      return skipOrFail(
        this,
        "no Docker engine answers: start one with scripts/dockerd.sh start",
        "system",
      );
    }
    ok(script("build-standin-image.sh", []), "scripts/build-standin-image.sh");
    // A run killed before its `after` left them, and dockerd restarts them when it starts.
    await removeLocalStacks(docker);
    for (const stack of [MAINPC, PC2]) {
      fleets.set(stack, fleetOf(stack));
      plans.set(stack, planFleet(fleets.get(stack)!, readStackFile(ROOT, stack).settings.ordering));
      standinImages(["--stack", stack]);
    }
    project = await scratchProject(["mainpc", "pc2", MAINPC, PC2], engineEnv());
  });

  after(async function () {
    if (!project) return;
    for (const stack of [MAINPC, PC2]) await pulumi(stack, ["destroy", "--yes", "--skip-preview"]);
    await removeLocalStacks(docker);
    project.remove();
  });

  it("previews the mainpc and pc2 host stacks: every agent a create, mainpc's GPU requests shown", async function () {
    for (const stack of ["mainpc", "pc2"]) {
      const fleet = loadFleet(path.join(ROOT, readStackFile(ROOT, stack).settings.fleet), {
        stack,
      });
      const diff = ok(await pulumi(stack, ["preview", "--diff"]), `pulumi preview ${stack}`).stdout;
      const json = ok(
        await pulumi(stack, ["preview", "--json"]),
        `pulumi preview --json ${stack}`,
      ).stdout;
      const steps = (JSON.parse(json) as { steps: PreviewStep[] }).steps;
      assert.deepEqual([...new Set(steps.map((s) => s.op))], ["create"], `${stack}: only creates`);
      const containers = steps.filter((s) => s.newState?.type === CONTAINER);
      const names = new Set(containers.map((s) => s.newState?.inputs?.name));
      for (const agent of fleet.agents) {
        assert.ok(
          names.has(containerName(stack, agent)),
          `${stack}: no container for ${agent.name}`,
        );
      }
      const gpu = fleet.agents.filter((agent) => agent.gpu).length;
      const requested = containers.filter((s) =>
        Array.isArray(s.newState?.inputs?.deviceRequests),
      ).length;
      assert.equal(requested, gpu, `${stack}: GPU device requests`);
      if (gpu > 0) assert.match(diff, /deviceRequests\s*:[\s\S]*?driver\s*:\s*"nvidia"/);
    }
  });

  /**
   * What releases do to a stack: a new tag, a release that never gets ready (immediate rollback),
   * one whose last wave fails its requests (gradual rollback), and a rollback by hand. Runs after
   * the first `up`, on PC2 (two waves: the gradual rollback is the shortest); every deploy is from
   * a committed, clean project.
   */
  function releases(stack: string, program: () => RegisteredResource[]): void {
    const plan = () => plans.get(stack)!;
    const setTag = async (agent: string, tag: string) => {
      ok(
        await pulumi(stack, ["config", "set", "--path", `cascade:imageTags.${agent}`, tag]),
        "config set",
      );
      await commitAll(project, `e2e: ${agent} at ${tag}`);
    };
    const history = async (): Promise<CascadeHistory> =>
      JSON.parse(
        ok(await project.cascade(["history", "--stack", stack, "--json"]), "cascade history")
          .stdout,
      ) as CascadeHistory;
    const imageLabel = async (agent: string) =>
      byAgent(await stackContainers(docker, stack)).get(agent)?.Config.Labels[
        "cascade.standin.release"
      ];

    it("a new tag for one agent replaces that agent's image and container, nothing else", async function () {
      const agent = plan().agents.find((a) => a.wave === 2)!.name;
      standinImages(["--stack", stack, "--agent", agent, "--tag", GOOD_TAG]);
      const before = idsByAgent(await stackContainers(docker, stack));
      await setTag(agent, GOOD_TAG);
      const group = program().find(
        (r) => r.type === CONTAINER && r.name.endsWith(`-${agent}`),
      )!.parent;
      const preview = ok(
        await pulumi(stack, ["preview", "--json"]),
        "pulumi preview --json",
      ).stdout;
      assert.deepEqual(changes(preview), [
        `replace ${group}-${agent}`,
        `replace ${group}-${agent}-image`,
      ]);
      ok(await pulumi(stack, ["up", "--yes", "--skip-preview"]), "pulumi up of the new tag");
      const after = idsByAgent(await stackContainers(docker, stack));
      for (const [name, id] of before) {
        if (name === agent) assert.notEqual(after.get(name), id, `${name} was replaced`);
        else assert.equal(after.get(name), id, `${name} was not touched`);
      }
      assert.equal(await imageLabel(agent), GOOD_TAG);
    });

    it("cascade deploy of a release that never gets ready fails verification and rolls back at once", async function () {
      ok(await project.cascade(["deploy", "--stack", stack, ...QUICK]), "cascade deploy (good)");
      const victim = plan().agents.find((a) => a.dependsOn.length === 0)!.name;
      standinImages([
        "--stack",
        stack,
        "--agent",
        victim,
        "--tag",
        NEVER_READY_TAG,
        "--env",
        "CASCADE_NEVER_READY=1",
      ]);
      await setTag(victim, NEVER_READY_TAG);
      const reportFile = path.join(project.dir, "..", "deploy-report.html");
      const bad = await project.cascade([
        "deploy",
        "--stack",
        stack,
        ...QUICK,
        "--report",
        reportFile,
      ]);
      const out = `${bad.stdout}\n${bad.stderr}`;
      assert.notEqual(bad.status, 0, `a never-ready release was not refused:\n${out}`);
      const failed = Number(
        /Rollback triggered after update (\d+): critical service unhealthy/.exec(out)?.[1],
      );
      assert.ok(failed > 0, `no rollback triggered:\n${out}`);
      const report = deployReport(reportFile);
      assert.deepEqual(
        report.agents.map((a) => a.name).sort(),
        plan()
          .agents.map((a) => a.name)
          .sort(),
      );
      assert.ok(
        report.agents.some((a) => a.name === victim && a.start !== undefined),
        victim,
      );
      assert.ok(report.verify && report.verify.polls.length > 0, "no verify poll drawn");
      assert.ok(report.rollback?.some((stage) => stage.name === "restore_old_version"));
      assertPrinted(out, /Preview of the rollback to version \d+/);
      assertPrinted(out, /terminate_unhealthy_new: done/);
      assertPrinted(out, /restore_old_version: done: .*verified good/);
      const container = byAgent(await stackContainers(docker, stack)).get(victim)!;
      assert.equal(
        container.State.Health?.Status,
        "healthy",
        `${victim} runs the good release again`,
      );
      assert.equal(container.Config.Labels["cascade.standin.release"], undefined);
      const recorded = await history();
      const entry = recorded.updates.find((u) => u.version === failed);
      assert.ok(entry, `update ${failed} in cascade history`);
      assert.equal(entry.status, "rolled back", `the record of update ${failed}`);
      assert.match(entry.reason, /critical service unhealthy/);
      assert.ok(!recorded.verifiedGood.includes(failed), "a failed update is no rollback target");
      ok(
        await pulumi(stack, ["config", "rm", "--path", `cascade:imageTags.${victim}`]),
        "config rm",
      );
      await commitAll(project, `e2e: ${victim} back at the stack's tag`);
    });

    it("cascade deploy of a release whose last wave fails its requests rolls back wave by wave", async function () {
      const lastWave = Math.max(...plan().agents.map((a) => a.wave));
      const agents = plan()
        .agents.filter((a) => a.wave === lastWave)
        .map((a) => a.name);
      standinImages([
        "--stack",
        stack,
        "--tag",
        ERRORING_TAG,
        "--env",
        "CASCADE_ERROR_RATE=0.9",
        ...agents.flatMap((a) => ["--agent", a]),
      ]);
      for (const agent of agents) {
        ok(
          await pulumi(stack, [
            "config",
            "set",
            "--path",
            `cascade:imageTags.${agent}`,
            ERRORING_TAG,
          ]),
          "config set",
        );
      }
      const released = new Map<string, string | undefined>();
      for (const agent of agents) released.set(agent, await imageLabel(agent));
      await commitAll(project, "e2e: the last wave fails its requests");
      const bad = await project.cascade(["deploy", "--stack", stack, ...QUICK]);
      const out = `${bad.stdout}\n${bad.stderr}`;
      assert.notEqual(bad.status, 0, `an erroring release was not rolled back:\n${out}`);
      assertPrinted(out, /Rollback triggered after update \d+: error rate .* -> gradual_rollback/);
      assertPrinted(out, /restore_old_version: done/);
      for (const agent of agents)
        assert.equal(await imageLabel(agent), released.get(agent), `${agent} is back`);
    });

    it("cascade rollback --to N goes back to that verified version", async function () {
      const verified = (await history()).verifiedGood.at(-1);
      assert.ok(verified, "a verified-good version in cascade's record");
      const rollback = ok(
        await project.cascade(["rollback", "--stack", stack, "--to", String(verified), ...QUICK]),
        `cascade rollback --to ${verified}`,
      );
      assert.match(
        rollback.stdout,
        new RegExp(`Rolling back stack ${stack} to version ${verified}`),
      );
      assertPrinted(rollback.stdout, /restore_old_version: done: .*verified good/);
    });
  }

  for (const stack of [MAINPC, PC2]) {
    describe(stack, function () {
      let registered: RegisteredResource[];
      let containerIds: Map<string, string>;

      before(async function () {
        if (!project) this.skip();
        registered = (await runProgram({ stack })).resources;
      });

      it("pulumi up creates each container only once every container its plan edges name is healthy", async function () {
        const watch = await watchEvents(docker, stack);
        let events: DockerEvent[] = [];
        try {
          const up = ["up", "--yes", "--skip-preview", "--message", "e2e: first up"];
          ok(await pulumi(stack, up), "pulumi up");
        } finally {
          events = watch.stop();
        }
        const created = new Map<string, number>();
        const healthy = new Map<string, number>();
        for (const event of events) {
          const agent = event.Actor.Attributes["cascade.agent"];
          if (!agent) continue;
          if (event.Action === "create") created.set(agent, event.timeNano);
          if (event.Action === "health_status: healthy" && !healthy.has(agent))
            healthy.set(agent, event.timeNano);
        }
        for (const agent of plans.get(stack)!.agents) {
          assert.ok(created.has(agent.name), `${agent.name}: no create event`);
          assert.ok(healthy.has(agent.name), `${agent.name}: never reported healthy`);
          for (const dependency of agent.dependsOn) {
            assert.ok(
              created.get(agent.name)! > healthy.get(dependency)!,
              `${agent.name} was created before ${dependency} was healthy`,
            );
          }
        }
        containerIds = idsByAgent(await stackContainers(docker, stack));
        assert.equal(containerIds.size, plans.get(stack)!.agents.length);
      });

      it("runs every container with the healthcheck, labels, restart policy and model config of the plan", async function () {
        const containers = byAgent(await stackContainers(docker, stack));
        const uploads = registered.flatMap((r) => (r.inputs.uploads as Upload[] | undefined) ?? []);
        for (const resource of registered.filter((r) => r.type === CONTAINER && r.inputs.wait)) {
          const planned = resource.inputs as unknown as PlannedContainer;
          const agent = planned.labels.find((l) => l.label === "cascade.agent")!.value;
          const actual = containers.get(agent);
          assert.ok(actual, `${agent}: no container`);
          assert.equal(actual.Name, `/${planned.name}`);
          assert.equal(actual.State.Health?.Status, "healthy", `${agent} is not healthy`);
          const check = actual.Config.Healthcheck!;
          assert.deepEqual(check.Test, planned.healthcheck.tests, `${agent}: healthcheck test`);
          assert.equal(
            check.Interval! / 1e9,
            seconds(planned.healthcheck.interval),
            `${agent}: interval`,
          );
          assert.equal(
            check.Timeout! / 1e9,
            seconds(planned.healthcheck.timeout),
            `${agent}: timeout`,
          );
          assert.equal(
            check.StartPeriod! / 1e9,
            seconds(planned.healthcheck.startPeriod),
            `${agent}: start period`,
          );
          assert.equal(check.Retries, planned.healthcheck.retries, `${agent}: retries`);
          for (const { label, value } of planned.labels) {
            assert.equal(actual.Config.Labels[label], value, `${agent}: label ${label}`);
          }
          assert.equal(
            actual.HostConfig.RestartPolicy?.Name,
            planned.restart,
            `${agent}: restart policy`,
          );
          assert.equal(
            actual.HostConfig.RestartPolicy?.MaximumRetryCount ?? 0,
            planned.maxRetryCount ?? 0,
          );
          const modelConfig = planned.envs
            .find((e) => e.startsWith("CASCADE_MODEL_CONFIG="))
            ?.split("=")[1];
          if (modelConfig) {
            const expected = uploads.find((upload) => upload.file === modelConfig)?.content;
            assert.ok(expected, `${agent}: no upload of ${modelConfig}`);
            assert.equal(
              fileInContainer(actual.Id, modelConfig),
              expected,
              `${agent}: model config`,
            );
          }
        }
      });

      it("a second pulumi up changes nothing", async function () {
        ok(
          await pulumi(stack, ["preview", "--diff", "--expect-no-changes"]),
          "pulumi preview --expect-no-changes right after up",
        );
        ok(
          await pulumi(stack, ["up", "--yes", "--skip-preview", "--expect-no-changes"]),
          "second pulumi up",
        );
        assert.deepEqual(
          idsByAgent(await stackContainers(docker, stack)),
          containerIds,
          "no container was recreated",
        );
      });

      if (stack === PC2) releases(stack, () => registered);

      it("pulumi destroy leaves no container, volume or network of the stack", async function () {
        ok(await pulumi(stack, ["destroy", "--yes", "--skip-preview"]), "pulumi destroy");
        assert.deepEqual(await stackContainers(docker, stack), []);
        const volumes = (await docker.listVolumes()).Volumes.filter((v) =>
          v.Name.startsWith(`cascade-${stack}`),
        );
        assert.deepEqual(
          volumes.map((v) => v.Name),
          [],
        );
        const networks = await docker.listNetworks({ filters: { name: [`cascade-${stack}`] } });
        assert.deepEqual(
          networks.map((n) => n.Name),
          [],
        );
      });
    });
  }
});
