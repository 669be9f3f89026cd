import { readFileSync } from "node:fs";
import path from "node:path";
import { assertKeepsUrns } from "../support/aliases";
import { runProgram } from "../support/pulumi-harness";
import { buildProbe } from "../support/probe";

/**
 * The URNs of every resource of each shipped stack as the program registered them before the
 * DockerFleet component existed (fixtures/urns-before-fleet-component.json): under the current
 * program each is still answered, by a resource's own URN or its aliases, so a stack deployed
 * then sees no replacement. Images excepted: they were one RemoteImage per distinct reference at
 * the stack root, and are now one per agent in its group (a new tag replaces exactly that
 * agent's image and container). The old image resources are deleted and new ones created, which
 * changes nothing on the host (`keepLocally`, and the containers get the same image id).
 */
const BEFORE = JSON.parse(
  readFileSync(path.join(__dirname, "fixtures", "urns-before-fleet-component.json"), "utf8"),
) as Record<string, string[]>;

describe("docker program: URNs of stacks deployed before the fleet component", function () {
  this.timeout(60_000);
  before(buildProbe);
  for (const [stack, urns] of Object.entries(BEFORE)) {
    it(`keeps all ${urns.length} URNs of stack ${stack}`, async () => {
      const run = await runProgram({ stack, config: { target: "docker" } });
      assertKeepsUrns(
        run.resources,
        urns.filter((urn) => !urn.includes("docker:index/remoteImage:RemoteImage")),
      );
    });
  }
});
