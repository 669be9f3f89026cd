import { strict as assert } from "node:assert";
import path from "node:path";
import { buildOrder } from "../../src/docker/fleet";
import { loadFleet } from "../../src/fleet/loader";
import { planFleet, type Ordering } from "../../src/fleet/planner";
import { ofType, runProgram } from "../support/pulumi-harness";

/**
 * Groups that wait for each other (test/docker/fixtures/cross-groups.yaml), in host network mode
 * with the curl probe and no monitoring: the edges stay exactly the planner's, whichever group
 * is built first, and the options that drop resources do drop them.
 */
const FIXTURES = path.join(__dirname, "fixtures");
const fleet = loadFleet(path.join(FIXTURES, "cross-groups.yaml"));

describe("docker program: groups that wait for each other", function () {
  this.timeout(60_000);

  it("builds agents after what they wait for; groups in dependency order where possible", () => {
    const order = buildOrder(planFleet(fleet, "dependencies").agents);
    const at = (name: string): number => order.agents.indexOf(name);
    assert.ok(at("B1") < at("A2") && at("A1") < at("B2") && at("A2") < at("C1"));
    assert.deepEqual(order.groups.slice(-1), ["group_c"]);
  });

  for (const ordering of ["dependencies", "waves"] as Ordering[]) {
    it(`dependsOn edges equal the planner's (${ordering})`, async () => {
      const run = await runProgram({
        stack: "fixture",
        stackFile: path.join(FIXTURES, "Pulumi.fixture.yaml"),
        config: { ordering },
      });
      const containers = ofType(run, "docker:index/container:Container").filter((c) =>
        c.parent?.startsWith("group_"),
      );
      const agentOf = new Map(containers.map((c) => [c.name, c.name.slice(c.parent!.length + 1)]));
      for (const planned of planFleet(fleet, ordering).agents) {
        const container = containers.find((c) => agentOf.get(c.name) === planned.name)!;
        const edges = container.dependsOn.filter((d) => agentOf.has(d)).map((d) => agentOf.get(d));
        assert.deepEqual(edges.sort(), [...planned.dependsOn].sort(), planned.name);
        assert.equal(container.inputs["networkMode"], "host");
        assert.equal(
          (container.inputs["healthcheck"] as { tests: string[] }).tests[0],
          "CMD-SHELL",
        );
      }
      assert.equal(ofType(run, "docker:index/network:Network").length, 0);
      assert.equal(run.resources.filter((r) => r.type === "cascade:docker:Monitoring").length, 0);
      const seeder = ofType(run, "docker:index/container:Container").find((c) =>
        c.name.endsWith("-files-seeder"),
      )!;
      assert.deepEqual(seeder.inputs["uploads"] ?? [], [], "no probe upload with the curl probe");
    });
  }
});
