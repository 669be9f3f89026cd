import { strict as assert } from "node:assert";
import { planJson, planText } from "../../src/cli/render-plan";
import { loadFleet } from "../../src/fleet/loader";
import { planFleet } from "../../src/fleet/planner";

/** `cascade plan`'s text and JSON for the shipped MainPC fleet. */
describe("cascade plan output", () => {
  const mainpc = loadFleet("fleet/mainpc.yaml", { stack: "mainpc", gpuAvailable: true });
  const plan = planFleet(mainpc, "waves");

  it("warns of the agents expected after their window, and shows the worst case apart", () => {
    const text = planText(plan, "mainpc");
    const warnings = text.slice(text.indexOf("warnings"));
    assert.match(warnings, /^warnings \(expected past the seed's wave window\):$/m);
    assert.match(
      warnings,
      /wave_2 \(1m-3m\): 1 of 6 expected healthy only after the window:\n {4}FaceRecognitionAgent 3m20s\n/,
    );
    assert.doesNotMatch(warnings, /wave_[13-5] /, "no other wave is expected late");
    assert.match(text, /^worst case: 34 of 35 agents could still turn healthy after their window/m);
    assert.match(text, /^expected all healthy at 3m50s: ServiceRegistry -> /m);
  });

  it("--json gives each agent's expected and worst times and both paths", () => {
    const json = planJson(plan, "mainpc");
    const face = json.agents.find((a) => a.name === "FaceRecognitionAgent")!;
    assert.equal(face.expectedReadySeconds, 200, "wave 1 at 20s, then its 180s start period");
    assert.ok(face.readyBySeconds > face.expectedReadySeconds);
    assert.equal(json.criticalPath.expected.seconds, 230);
    assert.ok(json.criticalPath.seconds > json.criticalPath.expected.seconds);
  });
});
