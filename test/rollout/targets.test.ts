import { strict as assert } from "node:assert";
import { agentOfUrn, urnsOfAgents } from "../../src/rollout/targets";

const AGENTS = ["ModelManagerSuite", "Manager", "TutorAgent", "Agent"];

describe("rollout targets: URN -> agent", () => {
  it("matches the Docker target's `<group>-<agent>` container names, longest agent first", () => {
    const urn = (name: string) =>
      `urn:pulumi:mainpc::cascade::cascade:docker:AgentGroup$docker:index/container:Container::${name}`;
    assert.equal(agentOfUrn(urn("ai_engine-ModelManagerSuite"), AGENTS), "ModelManagerSuite");
    assert.equal(agentOfUrn(urn("pc2_apps-TutorAgent"), AGENTS), "TutorAgent");
    assert.equal(agentOfUrn(urn("Agent"), AGENTS), "Agent");
    assert.equal(agentOfUrn(urn("Manager-models"), AGENTS), "Manager");
    assert.equal(agentOfUrn(urn("cascade-mainpc"), AGENTS), undefined);
  });

  it("matches the Kubernetes target's kebab-case `<group>-<agent>` names", () => {
    const urn = (name: string) =>
      `urn:pulumi:k8s::cascade::cascade:kubernetes:AgentGroup$kubernetes:apps/v1:Deployment::${name}`;
    assert.equal(agentOfUrn(urn("ai_engine-model-manager-suite"), AGENTS), "ModelManagerSuite");
    assert.equal(agentOfUrn(urn("pc2_apps-tutor-agent"), AGENTS), "TutorAgent");
    assert.equal(agentOfUrn(urn("pc2_apps-tutor"), AGENTS), undefined);
  });

  it("skips the stack and providers", () => {
    const resources = [
      {
        urn: "urn:pulumi:s::cascade::pulumi:providers:docker::Agent",
        type: "pulumi:providers:docker",
      },
      {
        urn: "urn:pulumi:s::cascade::docker:index/container:Container::g-Agent",
        type: "docker:index/container:Container",
      },
    ];
    assert.deepEqual(urnsOfAgents(resources, AGENTS, new Set(["Agent"])), [resources[1].urn]);
  });
});
