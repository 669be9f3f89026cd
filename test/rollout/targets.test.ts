import { strict as assert } from "node:assert";
import { urnsOfAgents } from "../../src/rollout/targets";

const DOCKER = "urn:pulumi:mainpc::cascade::cascade:docker:Fleet$cascade:docker:AgentGroup";
const K8S = "urn:pulumi:k8s::cascade::cascade:kubernetes:Fleet$cascade:kubernetes:AgentGroup";

/** Stack outputs with each agent's URNs, and a state holding all of them plus shared resources. */
function stack(urns: Record<string, string[]>) {
  const outputs = {
    agents: Object.fromEntries(
      Object.entries(urns).map(([agent, list]) => [agent, { urns: list }]),
    ),
  };
  const state = [
    {
      urn: "urn:pulumi:s::cascade::pulumi:providers:docker::Agent",
      type: "pulumi:providers:docker",
    },
    { urn: "urn:pulumi:s::cascade::docker:index/network:Network::cascade-mainpc", type: "n" },
    ...Object.values(urns)
      .flat()
      .map((urn) => ({ urn, type: "t" })),
  ];
  return { outputs, state };
}

describe("rollout targets: an agent's resources from the stack outputs", () => {
  it("takes the Docker target's container of each agent, however alike the names", () => {
    const { outputs, state } = stack({
      ModelManagerSuite: [
        `${DOCKER}$docker:index/container:Container::ai_engine-ModelManagerSuite`,
      ],
      Manager: [`${DOCKER}$docker:index/container:Container::ai_engine-Manager`],
      Agent: [`${DOCKER}$docker:index/container:Container::g-Agent`],
    });
    assert.deepEqual(urnsOfAgents(outputs, ["Manager"], state), [
      `${DOCKER}$docker:index/container:Container::ai_engine-Manager`,
    ]);
    assert.deepEqual(urnsOfAgents(outputs, new Set(["Agent", "ModelManagerSuite"]), state), [
      `${DOCKER}$docker:index/container:Container::g-Agent`,
      `${DOCKER}$docker:index/container:Container::ai_engine-ModelManagerSuite`,
    ]);
  });

  it("takes every Kubernetes object of an agent: Deployment, Service, ConfigMap, PDB", () => {
    const tutor = [
      `${K8S}$kubernetes:apps/v1:Deployment::pc2_apps-tutor-agent`,
      `${K8S}$kubernetes:core/v1:Service::pc2_apps-tutor-agent-service`,
      `${K8S}$kubernetes:core/v1:ConfigMap::pc2_apps-tutor-agent-models`,
      `${K8S}$kubernetes:policy/v1:PodDisruptionBudget::pc2_apps-tutor-agent-pdb`,
    ];
    const { outputs, state } = stack({
      TutorAgent: tutor,
      Tutor: [`${K8S}$kubernetes:apps/v1:Deployment::pc2_apps-tutor`],
    });
    assert.deepEqual(urnsOfAgents(outputs, ["TutorAgent"], state), tutor);
  });

  it("leaves out the stack, providers, shared resources and URNs not in the state", () => {
    const { outputs, state } = stack({
      Agent: [`${DOCKER}$docker:index/container:Container::g-Agent`],
    });
    const gone = "urn:pulumi:s::cascade::docker:index/container:Container::g-Gone";
    (outputs.agents as Record<string, { urns: string[] }>)["Gone"] = { urns: [gone] };
    assert.deepEqual(urnsOfAgents(outputs, ["Agent", "Gone", "Unknown"], state), [
      `${DOCKER}$docker:index/container:Container::g-Agent`,
    ]);
    assert.deepEqual(urnsOfAgents({}, ["Agent"], state), []);
  });
});
