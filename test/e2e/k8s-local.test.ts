// End to end with the real Pulumi engine against a real kube-apiserver: the k8s-local stack (the MainPC
// fleet on the Kubernetes target) is previewed, brought up, broken by a deploy that fails verification,
// and rolled back. The engine (CLI, language host, Kubernetes provider) and the control plane (etcd,
// kube-apiserver, controller-manager, scheduler, kwok) are built from Go modules by scripts/build-engine.sh;
// scripts/k8s-local.sh runs the control plane on 127.0.0.1. Without them the suite is skipped, with the
// command that builds them. See docs/real-engine.md.
import { strict as assert } from "node:assert";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { loadFleet } from "../../src/fleet/loader";
import { planFleet } from "../../src/fleet/planner";
import { dnsName } from "../../src/kubernetes/names";

const ROOT = path.resolve(__dirname, "../..");
const STACK = "k8s-local";
const NAMESPACE = "cascade-k8s-local";
/** kwok keeps pods of an image containing this Running but never Ready (scripts/k8s-local.sh). */
const UNREADY_TAG = "1.0.1-kwok-unready";
/** The verify window cascade deploy/rollback use here (--verify-window), instead of the fleet's 300 s. */
const VERIFY_WINDOW_S = 20;

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

function script(name: string, args: string[], env: NodeJS.ProcessEnv = process.env): Run {
  const r = spawnSync("bash", [path.join(ROOT, "scripts", name), ...args], {
    encoding: "utf8",
    env,
  });
  return { status: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** Runs a command asynchronously (so mocha's timeout still works), capturing its output. */
function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

function ok(r: Run, what: string): Run {
  assert.equal(
    r.status,
    0,
    `${what} failed (${r.status}):\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`,
  );
  return r;
}

/** `export NAME="value"` lines, as scripts/build-engine.sh env and scripts/k8s-local.sh env print them. */
function parseExports(text: string, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...base };
  for (const line of text.split("\n")) {
    const m = /^export ([A-Z_][A-Z0-9_]*)="?(.*?)"?$/.exec(line.trim());
    if (!m) continue;
    env[m[1]] = m[2].replace(/\$([A-Z_]+)/g, (_, name: string) => env[name] ?? "");
  }
  return env;
}

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

const engine = script("build-engine.sh", ["check"]);
const skipReason =
  engine.status === 0
    ? undefined
    : `the real Pulumi engine and local control plane are not built (${engine.stdout.trim()}); ` +
      "run scripts/build-engine.sh build (see docs/real-engine.md)";

describe("k8s-local: real engine against a local kube-apiserver + kwok", function () {
  this.timeout(25 * 60_000);

  let env: NodeJS.ProcessEnv;
  let workDir: string;
  let tmp: string;
  let startedCluster = false;
  let kube: Kube;
  const fleet = loadFleet(path.join(ROOT, "fleet/mainpc.yaml"), {
    stack: STACK,
    gpuAvailable: true,
  });
  const plan = planFleet(fleet, "waves");

  const pulumi = (args: string[]) =>
    run("pulumi", [...args, "--non-interactive"], { cwd: workDir, env });
  const cascade = (args: string[]) =>
    run(process.execPath, ["--import", "tsx", path.join(ROOT, "src/cli/main.ts"), ...args], {
      cwd: workDir,
      env,
    });

  before(async function () {
    if (skipReason) {
      console.log(`      skipped: ${skipReason}`);
      this.skip();
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cascade-e2e-"));
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
    env = parseExports(script("build-engine.sh", ["env"]).stdout, process.env);
    env = parseExports(clusterEnv.stdout, env);
    Object.assign(env, {
      PULUMI_BACKEND_URL: `file://${path.join(tmp, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: "cascade-e2e",
      PULUMI_HOME: path.join(tmp, "pulumi-home"),
      NO_COLOR: "1",
    });
    fs.mkdirSync(path.join(tmp, "state"));
    kube = new Kube(env.KUBECONFIG!);

    // The program runs from a scratch copy of the project so that the stack file the engine writes
    // (encryption salt, config changes) never touches the working tree.
    workDir = path.join(tmp, "project");
    fs.mkdirSync(workDir);
    for (const entry of ["src", "fleet", "node_modules", "package.json", "tsconfig.json", "bin"]) {
      if (fs.existsSync(path.join(ROOT, entry)))
        fs.symlinkSync(path.join(ROOT, entry), path.join(workDir, entry));
    }
    for (const file of ["Pulumi.yaml", `Pulumi.${STACK}.yaml`]) {
      fs.copyFileSync(path.join(ROOT, file), path.join(workDir, file));
    }
    ok(await pulumi(["stack", "init", STACK]), "pulumi stack init");
    // cascade rollback rebuilds a verified-good update from its git commit, so the scratch project
    // is a git repository (the symlinks are committed as symlinks), committed clean after stack init.
    const git = (args: string[]) =>
      run("git", ["-c", "user.name=cascade e2e", "-c", "user.email=e2e@cascade.invalid", ...args], {
        cwd: workDir,
        env,
      });
    ok(await git(["init", "--quiet"]), "git init");
    ok(await git(["add", "--all"]), "git add");
    ok(await git(["commit", "--quiet", "-m", "e2e: k8s-local project"]), "git commit");
  });

  after(function () {
    if (startedCluster) script("k8s-local.sh", ["stop"]);
    if (tmp && !process.env.CASCADE_E2E_KEEP) fs.rmSync(tmp, { recursive: true, force: true });
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
    assert.match(good.stdout, /verified good over \d+ polls; recorded as marker update/);

    const victim = plan.agents.find((a) => a.dependsOn.length === 0)!.name;
    const deploymentPath = `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/${dnsName(victim)}`;
    const before = await kube.get<DeploymentObject>(deploymentPath);
    ok(
      await pulumi(["config", "set", "--path", `cascade:imageTags.${victim}`, UNREADY_TAG]),
      "pulumi config set imageTags",
    );
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

    const history = JSON.parse(
      ok(await pulumi(["stack", "history", "--json"]), "pulumi stack history").stdout,
    ) as { version: number; result: string; message: string }[];
    const summary = history.map((h) => `${h.version} ${h.result} ${h.message}`).join("\n");
    assert.equal(history[0].result, "succeeded", `the newest update succeeded:\n${summary}`);
    assert.match(history[0].message, /verified-good/, `the newest update is a marker:\n${summary}`);
    assert.ok(
      history.some((h) => h.result === "succeeded" && /rollback/i.test(h.message)),
      `history records the rollback:\n${summary}`,
    );
    assert.ok(
      history.some((h) => h.result === "failed" && /cascade deploy/.test(h.message)),
      `history keeps the failed deploy:\n${summary}`,
    );
  });
});
