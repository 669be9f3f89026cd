import assert from "node:assert/strict";
import path from "node:path";
import { parse } from "yaml";
import type { ComposeFile } from "../../src/docker/compose";
import { fleetCompose } from "../../src/docker/compose-project";
import { loadFleet } from "../../src/fleet/loader";
import { runProgram } from "../../src/rehearse/capture";
import {
  createOptions,
  durationMs,
  rehearsalInputs,
  type CreateContext,
} from "../../src/rehearse/scale";
import { env, rehearsalFleet } from "../../src/rehearse/specs";
import { stackSettingsSchema } from "../../src/stack/settings";

/**
 * bench/startup compares the rehearsal with Docker Compose on the same containers: the
 * Compose services it runs are the rehearsal's create bodies, agent for agent.
 */
describe("the Compose rehearsal runs the rehearsal's containers", function () {
  this.timeout(60_000);

  it("mainpc: same image, environment, healthcheck, labels, limits, hardening and edges", async () => {
    const run = await runProgram({
      stack: "mainpc",
      config: { networkMode: "host", monitoring: false, ordering: "dependencies" },
    });
    const fleet = rehearsalFleet("mainpc", run);
    const context: CreateContext = {
      runId: "r1",
      scale: 0.05,
      minIntervalMs: 4400,
      image: "standin",
      agentByPort: new Map(
        fleet.agents.map((a) => [env(a.inputs, "CASCADE_HEALTH_PORT")!, a.name]),
      ),
      volumes: new Map(),
      extraEnv: {},
    };
    const settings = stackSettingsSchema.parse({
      fleet: "fleet/mainpc.yaml",
      gpu: true,
      imageTag: "1.0.0",
      networkMode: "host",
    });
    const exported = fleetCompose({
      stack: "mainpc",
      settings,
      fleet: loadFleet("fleet/mainpc.yaml", { stack: "mainpc", gpuAvailable: true }),
      ordering: "dependencies",
      composeDir: "/c",
      projectRoot: path.resolve(__dirname, "../.."),
      mapSpec: (spec) => rehearsalInputs(spec, context),
    });
    const services = (parse(exported.project.text, { version: "1.1" }) as ComposeFile).services;
    const ns = (duration: string) => durationMs(duration) * 1e6;
    for (const agent of fleet.agents) {
      const body = createOptions(agent, context);
      const service = services[agent.name];
      assert.equal(service.container_name, body.name, agent.name);
      assert.equal(service.image, body.Image);
      assert.deepEqual(service.environment, body.Env, agent.name);
      assert.deepEqual(service.labels, body.Labels);
      assert.deepEqual(service.healthcheck.test, body.Healthcheck!.Test);
      assert.equal(ns(service.healthcheck.interval), body.Healthcheck!.Interval);
      assert.equal(ns(service.healthcheck.timeout), body.Healthcheck!.Timeout);
      assert.equal(ns(service.healthcheck.start_period), body.Healthcheck!.StartPeriod);
      assert.equal(service.healthcheck.retries, body.Healthcheck!.Retries);
      const host = body.HostConfig!;
      assert.equal(service.network_mode, host.NetworkMode);
      assert.equal(
        service.restart,
        host.RestartPolicy!.Name === "on-failure"
          ? `on-failure:${host.RestartPolicy!.MaximumRetryCount}`
          : host.RestartPolicy!.Name,
      );
      assert.equal((service.cpus ?? 0) * 1e9, host.NanoCpus ?? 0, agent.name);
      assert.equal(service.mem_limit, host.Memory ? `${host.Memory / 1024 / 1024}m` : undefined);
      assert.equal(service.read_only, host.ReadonlyRootfs);
      assert.deepEqual(service.security_opt, host.SecurityOpt);
      assert.equal(service.user, body.User);
      assert.equal(service.deploy, undefined, "no GPU request, as in the rehearsal");
      assert.deepEqual(
        service.volumes.map((v) => v.target),
        host.Mounts!.map((m) => m.Target),
      );
      assert.deepEqual(Object.keys(service.depends_on ?? {}).sort(), [...agent.dependsOn].sort());
    }
  });
});
