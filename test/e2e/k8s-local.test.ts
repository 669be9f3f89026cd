// End to end with the real Pulumi engine against a real kube-apiserver: the k8s-local stack (the MainPC
// fleet on the Kubernetes target) is previewed, brought up, broken by a deploy that fails verification,
// and rolled back. The engine (CLI, language host, Kubernetes provider) and the control plane (etcd,
// kube-apiserver, controller-manager, scheduler, kwok) are built from Go modules by scripts/build-engine.sh;
// scripts/k8s-local.sh runs the control plane on 127.0.0.1. Without them the suite is skipped, with the
// command that builds them. See docs/real-engine.md.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as https from "node:https";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { loadFleet } from "../../src/fleet/loader";
import { planFleet } from "../../src/fleet/planner";
import { dnsName } from "../../src/targets/names";
import {
  engineEnv,
  missingEngine,
  ok,
  parseExports,
  ROOT,
  script,
  skipOrFail,
} from "../support/engine";
import { commitAll, scratchProject, type ScratchProject } from "../support/scratch-project";
const STACK = "k8s-local";
const NAMESPACE = "cascade-k8s-local";
/** kwok keeps pods of an image containing this Running but never Ready (scripts/k8s-local.sh). */
const UNREADY_TAG = "1.0.1-kwok-unready";
/** The verify window cascade deploy/rollback use here (--verify-window), instead of the fleet's 300 s. */
const VERIFY_WINDOW_S = 20;

/** A tiny client for the local kube-apiserver, from the kubeconfig scripts/k8s-local.sh writes. */
class Kube {
  private readonly server: URL;
  private readonly ca: Buffer;
  private readonly token: string;

  constructor(kubeconfig: string) {
    const cfg = parseYaml(fs.readFileSync(kubeconfig, "utf8")) as {
      clusters: { cluster: { server: string; "certificate-authority": string } }[];
      users: { user: { token: string } }[];
    };
    this.server = new URL(cfg.clusters[0].cluster.server);
    this.ca = fs.readFileSync(cfg.clusters[0].cluster["certificate-authority"]);
    this.token = cfg.users[0].user.token;
  }

  get<T>(apiPath: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: this.server.hostname,
          port: this.server.port,
          path: apiPath,
          method: "GET",
          ca: this.ca,
          headers: { Authorization: `Bearer ${this.token}` },
        },
        (res) => {
          let body = "";
          res.on("data", (d: Buffer) => (body += d.toString()));
          res.on("end", () =>
            res.statusCode === 200
              ? resolve(JSON.parse(body) as T)
              : reject(new Error(`GET ${apiPath}: ${res.statusCode} ${body}`)),
          );
        },
      );
      req.on("error", reject);
      req.end();
    });
  }
}

interface Condition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  reason?: string;
}
interface DeploymentObject {
  metadata: { name: string; creationTimestamp: string; generation: number };
  spec: { template: { spec: { containers: { image: string }[] } } };
  status?: { conditions?: Condition[]; availableReplicas?: number; observedGeneration?: number };
}
interface PodObject {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { nodeName?: string; containers: { resources?: { limits?: Record<string, string> } }[] };
}
interface PreviewStep {
  op: string;
  urn: string;
  newState?: { type: string; inputs?: { metadata?: { name?: string } } };
}

describe("k8s-local: real engine against a local kube-apiserver + kwok", function () {
  this.timeout(25 * 60_000);

  let project: ScratchProject;
  let startedCluster = false;
  let kube: Kube;
  const fleet = loadFleet(path.join(ROOT, "fleet/mainpc.yaml"), {
    stack: STACK,
    gpuAvailable: true,
  });
  const plan = planFleet(fleet, "waves");

  const pulumi = (args: string[]) => project.pulumi(args);
  const cascade = (args: string[]) => project.cascade(args);

  before(async function () {
    const missing = missingEngine(["pulumi", "pulumi-kubernetes", "k8s", "etcd", "kwok"]);
    if (missing)
      return skipOrFail(this, `the real engine and local control plane are not built (${missing})`);
    let clusterEnv = script("k8s-local.sh", ["env"]);
    if (clusterEnv.status !== 0) {
      clusterEnv = script("k8s-local.sh", ["start"]);
      assert.equal(
        clusterEnv.status,
        0,
        `scripts/k8s-local.sh start failed:\n${clusterEnv.stderr}`,
      );
      startedCluster = true;
    }
    project = await scratchProject([STACK], parseExports(clusterEnv.stdout, engineEnv()));
    kube = new Kube(project.env.KUBECONFIG!);
  });

  after(function () {
    if (startedCluster) script("k8s-local.sh", ["stop"]);
    project?.remove();
  });

  it("previews the fleet: --diff shows it, --json has exactly the expected creates", async function () {
    const diff = ok(await pulumi(["preview", "--diff"]), "pulumi preview --diff").stdout;
    assert.match(diff, /\+ kubernetes:apps\/v1:Deployment/);
    assert.match(diff, /\+ kubernetes:core\/v1:Namespace/);

    const json = ok(await pulumi(["preview", "--json"]), "pulumi preview --json").stdout;
    const steps = (JSON.parse(json) as { steps: PreviewStep[] }).steps;
    assert.deepEqual([...new Set(steps.map((s) => s.op))], ["create"]);
    const ofType = (type: string) => steps.filter((s) => s.newState?.type === type);
    const names = (type: string) =>
      ofType(type)
        .map((s) => s.newState?.inputs?.metadata?.name)
        .sort();
    const agents = fleet.agents.map((a) => dnsName(a.name)).sort();
    assert.deepEqual(names("kubernetes:apps/v1:Deployment"), agents);
    assert.deepEqual(names("kubernetes:core/v1:Service"), agents);
    assert.deepEqual(names("kubernetes:core/v1:Namespace"), [NAMESPACE]);
    assert.equal(ofType("cascade:kubernetes:AgentGroup").length, fleet.groups.length);
  });

  it("pulumi up brings the waves up in dependsOn order, GPU agents on the GPU node", async function () {
    ok(await pulumi(["up", "--yes", "--skip-preview", "--message", "e2e: initial"]), "pulumi up");

    const list = await kube.get<{ items: DeploymentObject[] }>(
      `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`,
    );
    const byName = new Map(list.items.map((d) => [d.metadata.name, d]));
    const availableAt = (d: DeploymentObject) => {
      const c = d.status?.conditions?.find((x) => x.type === "Available" && x.status === "True");
      assert.ok(c?.lastTransitionTime, `${d.metadata.name} is not Available`);
      return Date.parse(c.lastTransitionTime);
    };
    assert.equal(byName.size, fleet.agents.length);
    for (const agent of plan.agents) {
      const mine = byName.get(dnsName(agent.name));
      assert.ok(mine, `no Deployment for ${agent.name}`);
      availableAt(mine);
      for (const dep of agent.dependsOn) {
        const theirs = byName.get(dnsName(dep))!;
        // Second resolution on both: created no earlier than the second its dependency became Available.
        assert.ok(
          Date.parse(mine.metadata.creationTimestamp) >= availableAt(theirs),
          `${agent.name} (wave ${agent.wave}) was created at ${mine.metadata.creationTimestamp}, before ${dep} ` +
            `became Available`,
        );
      }
    }

    const pods = await kube.get<{ items: PodObject[] }>(`/api/v1/namespaces/${NAMESPACE}/pods`);
    const gpuPods = pods.items.filter((p) =>
      p.spec.containers.some((c) => c.resources?.limits?.["nvidia.com/gpu"]),
    );
    assert.ok(gpuPods.length > 0, "the MainPC fleet has GPU agents");
    for (const pod of gpuPods)
      assert.equal(pod.spec.nodeName, "kwok-gpu-0", `${pod.metadata.name} not on the GPU node`);
  });

  it("cascade deploy of an image that never gets ready fails verification and rolls back; cascade rollback re-applies the good version", async function () {
    // cascade deploy reads readiness from the Kubernetes API for a kubernetes-target stack (the
    // Deployment rolled out and Available, i.e. its pods Ready); a short verify window keeps this quick.
    const quick = ["--yes", "--verify-window", String(VERIFY_WINDOW_S), "--poll-interval", "5"];
    const good = ok(await cascade(["deploy", "--stack", STACK, ...quick]), "cascade deploy (good)");
    assert.match(good.stdout, /readiness from the Kubernetes API/);
    const verified = Number(/Update (\d+) verified good over \d+ polls\./.exec(good.stdout)?.[1]);
    assert.ok(verified > 0, `cascade deploy (good) verified its update:\n${good.stdout}`);
    assert.match(good.stdout, /recorded in the stack's history: update \d+ verified good/);

    const victim = plan.agents.find((a) => a.dependsOn.length === 0)!.name;
    const deploymentPath = `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/${dnsName(victim)}`;
    const before = await kube.get<DeploymentObject>(deploymentPath);
    ok(
      await pulumi(["config", "set", "--path", `cascade:imageTags.${victim}`, UNREADY_TAG]),
      "pulumi config set imageTags",
    );
    // cascade deploy refuses a working tree with uncommitted changes (docs/rollback.md).
    await commitAll(project, `e2e: ${victim} at ${UNREADY_TAG}`);
    const bad = await cascade(["deploy", "--stack", STACK, ...quick]);
    const badOut = `${bad.stdout}\n${bad.stderr}`;
    assert.equal(bad.status, 1, `cascade deploy of a never-ready image did not fail:\n${badOut}`);
    assert.match(badOut, /Rollback triggered after update \d+: critical service unhealthy/);
    assert.ok(badOut.includes(`failing: ${victim}`), `${victim} is named failing:\n${badOut}`);
    assert.match(
      badOut,
      /Preview of the rollback to version \d+/,
      `rollback shows its preview first:\n${badOut.slice(-6000)}`,
    );
    assert.match(badOut, /terminate_unhealthy_new: done/);
    assert.match(badOut, /restore_old_version: done: .*verified good/);

    const afterDeploy = await kube.get<DeploymentObject>(deploymentPath);
    assert.equal(
      afterDeploy.spec.template.spec.containers[0].image,
      before.spec.template.spec.containers[0].image,
      "the rolled-back Deployment runs the previous image",
    );

    // By hand: cascade rollback goes to the newest verified-good version (the one just restored).
    const rollback = ok(
      await cascade(["rollback", "--stack", STACK, ...quick]),
      "cascade rollback",
    );
    assert.match(rollback.stdout, /Preview of the rollback to version \d+/);
    assert.match(rollback.stdout, /restore_old_version: done: .*verified good/);

    const after = await kube.get<DeploymentObject>(deploymentPath);
    assert.equal(
      after.spec.template.spec.containers[0].image,
      before.spec.template.spec.containers[0].image,
      "the rolled-back Deployment runs the previous image",
    );
    const available = after.status?.conditions?.find((c) => c.type === "Available");
    assert.equal(available?.status, "True", "the rolled-back Deployment is Available again");

    // cascade's record in the stack's history (cascade history --json, src/rollout/history.ts).
    const ledger = JSON.parse(
      ok(await cascade(["history", "--stack", STACK, "--json"]), "cascade history").stdout,
    ) as {
      verifiedGood: number[];
      updates: {
        version: number;
        message: string;
        status: string;
        rollback?: { target?: number; result: string };
      }[];
    };
    const summary = ledger.updates
      .map((u) => `${u.version} ${u.status} ${u.message.split("\n")[0]}`)
      .join("\n");
    const newest = ledger.updates[0];
    assert.equal(newest.status, "verified", `the rollback by hand is verified:\n${summary}`);
    assert.match(newest.message, /^cascade: rollback of stack/, summary);
    assert.equal(ledger.verifiedGood[0], newest.version, "the newest rollback target");
    assert.ok(ledger.verifiedGood.includes(verified), `update ${verified} stays verified good`);
    const failed = ledger.updates.find((u) => /^cascade deploy/.test(u.message) && u.rollback);
    assert.ok(failed, `history keeps the failed deploy:\n${summary}`);
    assert.equal(failed.status, "rolled back", summary);
    assert.equal(failed.rollback?.target, verified, `rolled back to update ${verified}`);
    assert.equal(failed.rollback?.result, "rolled-back", summary);
    assert.ok(
      !ledger.verifiedGood.includes(failed.version),
      "a failed update is no rollback target",
    );
  });
});
