import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  deploymentReady,
  kubeconfigPath,
  kubeEndpoint,
  kubernetesReadiness,
  type KubeApi,
} from "../../src/rollout/kube-readiness";
import { verifyDeployment, type VerifyTarget } from "../../src/rollout/verifier";
import { SEED_ROLLBACK_POLICY } from "../../src/fleet/defaults";

/** A Deployment as the API returns it, rolled out and Available unless overridden. */
function deployment(
  overrides: {
    generation?: number;
    replicas?: number;
    status?: Record<string, unknown>;
    available?: string;
    progressingReason?: string;
  } = {},
) {
  return {
    metadata: { generation: overrides.generation ?? 2 },
    spec: { replicas: overrides.replicas ?? 1 },
    status: {
      observedGeneration: 2,
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
      conditions: [
        { type: "Available", status: overrides.available ?? "True" },
        {
          type: "Progressing",
          status: "True",
          reason: overrides.progressingReason ?? "NewReplicaSetAvailable",
        },
      ],
      ...overrides.status,
    },
  };
}

/** A fake API: answers per path, records the paths asked. */
function fakeApi(answers: Record<string, { status: number; body?: unknown } | Error>) {
  const asked: string[] = [];
  const api: KubeApi = {
    get: (apiPath) => {
      asked.push(apiPath);
      const answer = answers[apiPath];
      if (answer === undefined) return Promise.resolve({ status: 404, body: {} });
      if (answer instanceof Error) return Promise.reject(answer);
      return Promise.resolve({ status: answer.status, body: answer.body });
    },
  };
  return { api, asked };
}

const NS = "cascade-k8s-local";
const path_ = (name: string) => `/apis/apps/v1/namespaces/${NS}/deployments/${name}`;
const target = (name: string, critical = false): VerifyTarget => ({
  name,
  group: "g",
  wave: 1,
  critical,
  healthUrl: `http://${name}.svc.cluster.local/health`,
});

describe("kube-readiness (the verifier's observation source for target kubernetes)", () => {
  describe("deploymentReady", () => {
    it("is true for a Deployment rolled out and Available", () => {
      assert.equal(deploymentReady(deployment()), true);
    });
    it("is false while the new pod is not Ready, though the old one keeps it Available (maxUnavailable 0)", () => {
      const rolling = deployment({
        status: { replicas: 2, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 },
      });
      assert.equal(deploymentReady(rolling), false);
    });
    it("is false when Available is False, the spec is not observed yet, or the deadline passed", () => {
      assert.equal(
        deploymentReady(deployment({ available: "False", status: { availableReplicas: 0 } })),
        false,
      );
      assert.equal(deploymentReady(deployment({ generation: 3 })), false);
      assert.equal(
        deploymentReady(deployment({ progressingReason: "ProgressDeadlineExceeded" })),
        false,
      );
      assert.equal(deploymentReady({}), false);
    });
    it("counts replicas: 2 wanted, 1 available is not ready", () => {
      assert.equal(deploymentReady(deployment({ replicas: 2 })), false);
    });
  });

  it("observes each agent by its Deployment's DNS name: healthy, unhealthy, unreachable (404), or throws", async () => {
    const { api, asked } = fakeApi({
      [path_("service-registry")]: { status: 200, body: deployment() },
      [path_("stt-service")]: {
        status: 200,
        body: deployment({ available: "False", status: { availableReplicas: 0 } }),
      },
      [path_("broken")]: { status: 500, body: "oops" },
    });
    const observe = kubernetesReadiness(api, NS);
    assert.deepEqual(await observe(target("ServiceRegistry")), {
      agent: "ServiceRegistry",
      outcome: "healthy",
    });
    assert.deepEqual(await observe(target("STTService")), {
      agent: "STTService",
      outcome: "unhealthy",
    });
    assert.deepEqual(await observe(target("Missing")), {
      agent: "Missing",
      outcome: "unreachable",
    });
    await assert.rejects(observe(target("Broken")), /HTTP 500/);
    assert.deepEqual(asked, [
      path_("service-registry"),
      path_("stt-service"),
      path_("missing"),
      path_("broken"),
    ]);
  });

  it("feeds the policy through the verifier: a never-ready critical agent triggers an immediate rollback", async () => {
    const { api } = fakeApi({
      [path_("registry")]: {
        status: 200,
        body: deployment({
          status: { replicas: 2, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 },
        }),
      },
      [path_("models")]: { status: 200, body: deployment() },
    });
    let now = 1_000;
    const result = await verifyDeployment({
      targets: [target("Registry", true), target("Models")],
      policy: SEED_ROLLBACK_POLICY,
      deployEndMs: 1_000,
      clock: { now: () => now },
      sleep: (ms) => {
        now += ms;
        return Promise.resolve();
      },
      observe: kubernetesReadiness(api, NS),
      fetch: () => Promise.reject(new Error("the health URL must not be requested")),
    });
    assert.equal(result.verdict.kind, "rollback");
    if (result.verdict.kind !== "rollback") return;
    assert.equal(result.verdict.trigger.action, "immediate_rollback");
    assert.deepEqual(result.verdict.trigger.failingAgents, ["Registry"]);
    assert.equal(result.polls.length, 3);
  });

  it("verifies a fleet whose Deployments are all ready; an API that does not answer counts as unreachable", async () => {
    const ready = fakeApi({
      [path_("registry")]: { status: 200, body: deployment() },
      [path_("models")]: { status: 200, body: deployment() },
    });
    const down = fakeApi({
      [path_("registry")]: new Error("connect ECONNREFUSED 127.0.0.1:16443"),
      [path_("models")]: new Error("connect ECONNREFUSED 127.0.0.1:16443"),
    });
    const run = (api: KubeApi) => {
      let now = 0;
      return verifyDeployment({
        targets: [target("Registry", true), target("Models")],
        policy: { ...SEED_ROLLBACK_POLICY, healthCheckWindowSeconds: 30 },
        deployEndMs: 0,
        clock: { now: () => now },
        sleep: (ms) => {
          now += ms;
          return Promise.resolve();
        },
        pollIntervalMs: 5_000,
        observe: kubernetesReadiness(api, NS),
      });
    };
    const good = await run(ready.api);
    assert.equal(good.verdict.kind, "verified");
    assert.equal(good.polls.length, 7);
    const bad = await run(down.api);
    assert.equal(bad.verdict.kind, "rollback");
    assert.ok(bad.polls[0].results.every((r) => r.outcome === "unreachable"));
  });

  describe("kubeconfig", () => {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeconfig-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const KUBECONFIG = `apiVersion: v1
kind: Config
current-context: local
contexts:
  - name: local
    context: { cluster: c1, user: u1 }
  - name: other
    context: { cluster: c2, user: u2 }
clusters:
  - name: c1
    cluster: { server: "https://127.0.0.1:16443", certificate-authority: pki/ca.crt }
  - name: c2
    cluster:
      server: "https://10.0.0.1:6443/prefix"
      certificate-authority-data: ${Buffer.from("CA2").toString("base64")}
users:
  - name: u1
    user: { token: secret-token }
  - name: u2
    user:
      client-certificate-data: ${Buffer.from("CERT").toString("base64")}
      client-key: key.pem
  - name: u3
    user: { exec: { command: aws } }
`;

    it("reads the current context: server, CA file relative to the kubeconfig, token", () => {
      fs.mkdirSync(path.join(dir, "pki"));
      fs.writeFileSync(path.join(dir, "pki/ca.crt"), "CA1");
      const endpoint = kubeEndpoint(KUBECONFIG, path.join(dir, "config"));
      assert.equal(endpoint.server.href, "https://127.0.0.1:16443/");
      assert.equal(endpoint.ca?.toString(), "CA1");
      assert.equal(endpoint.token, "secret-token");
      assert.equal(endpoint.insecureSkipTlsVerify, false);
    });

    it("reads a named context: inline CA and client certificate, key file", () => {
      fs.writeFileSync(path.join(dir, "key.pem"), "KEY");
      const endpoint = kubeEndpoint(KUBECONFIG, path.join(dir, "config"), "other");
      assert.equal(endpoint.server.href, "https://10.0.0.1:6443/prefix");
      assert.equal(endpoint.ca?.toString(), "CA2");
      assert.equal(endpoint.cert?.toString(), "CERT");
      assert.equal(endpoint.key?.toString(), "KEY");
      assert.equal(endpoint.token, undefined);
    });

    it("says what is wrong: unknown context, exec plugins", () => {
      assert.throws(() => kubeEndpoint(KUBECONFIG, "cfg", "nope"), /no context "nope"/);
      const exec = KUBECONFIG.replace("current-context: local", "current-context: x").concat("");
      const withExec = `${exec.replace("contexts:\n", "contexts:\n  - name: x\n    context: { cluster: c1, user: u3 }\n")}`;
      assert.throws(() => kubeEndpoint(withExec, "cfg"), /exec or auth-provider plugin/);
    });

    it("takes the first entry of $KUBECONFIG, else ~/.kube/config", () => {
      assert.equal(
        kubeconfigPath({ KUBECONFIG: `/a/config${path.delimiter}/b/config` }),
        "/a/config",
      );
      assert.equal(kubeconfigPath({}), path.join(os.homedir(), ".kube", "config"));
    });
  });
});
