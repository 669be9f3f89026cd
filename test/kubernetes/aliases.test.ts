import { readFileSync } from "node:fs";
import path from "node:path";
import { assertKeepsUrns } from "../support/aliases";
import { runProgram } from "../support/pulumi-harness";

/**
 * The URNs of every resource of each shipped stack with target kubernetes, as the program
 * registered them before the KubernetesFleet component existed
 * (fixtures/urns-before-fleet-component.json): under the current program each is still answered,
 * by a resource's own URN or its aliases, so a stack deployed then sees no replacement.
 */
const BEFORE = JSON.parse(
  readFileSync(path.join(__dirname, "fixtures", "urns-before-fleet-component.json"), "utf8"),
) as Record<string, string[]>;

describe("kubernetes program: URNs of stacks deployed before the fleet component", function () {
  this.timeout(60_000);
  for (const [stack, urns] of Object.entries(BEFORE)) {
    it(`keeps all ${urns.length} URNs of stack ${stack}`, async () => {
      const run = await runProgram({ stack, config: { target: "kubernetes" } });
      assertKeepsUrns(run.resources, urns);
    });
  }
});
