import assert from "node:assert/strict";
import { runProgram } from "../support/pulumi-harness";
import { TYPES } from "./k8s-harness";

/** src/index.ts itself, through the shared harness, with each stack's config and target kubernetes. */
describe("src/index.ts with cascade:target kubernetes", function () {
  this.timeout(60_000);
  for (const stack of ["mainpc", "pc2"]) {
    it(`evaluates stack ${stack}: no Docker resources, one Deployment per exported agent`, async () => {
      const run = await runProgram({ stack, config: { target: "kubernetes" } });
      assert.deepEqual(
        run.resources.filter((r) => r.type.startsWith("docker:")),
        [],
      );
      const agents = run.outputs.agents as Record<string, { healthUrl: string }>;
      const deployments = run.resources.filter((r) => r.type === TYPES.deployment);
      assert.equal(deployments.length, Object.keys(agents).length);
      for (const output of Object.values(agents)) {
        assert.match(
          output.healthUrl,
          new RegExp(`\\.cascade-${stack}\\.svc\\.cluster\\.local:\\d+/health$`),
        );
      }
    });
  }
});
