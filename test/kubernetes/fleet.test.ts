import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import * as pulumi from "@pulumi/pulumi";
import { loadFleet } from "../../src/fleet/loader";
import type { Fleet } from "../../src/fleet/model";
import { ORDERINGS, planFleet } from "../../src/fleet/planner";
import { KubernetesFleet, kubernetesProblems } from "../../src/kubernetes/fleet";
import type { StackSettings } from "../../src/stack/settings";
import { captureRegistrations } from "../support/pulumi-harness";
import { modelConfigJson, modelConfigPath } from "../../src/targets/agent-contract";
import { GPU_RESOURCE, PULUMI_TIMEOUT_ANNOTATION } from "../../src/kubernetes/manifests";
import { isDnsLabel } from "../../src/targets/names";
import { alertRules, AGENT_JOB } from "../../src/monitoring";
import { modelConfigSchema } from "../../src/targets/model-config";
import {
  key,
  ofType,
  ROOT,
  runKubernetes,
  stackSettings,
  TYPES,
  type K8sRun,
  type Registered,
} from "./k8s-harness";

type Obj = Record<string, unknown> & {
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
};
type Validators = Record<string, (o: Obj) => void>;

/** kubernetes-models is ESM only (its exports have an "import" condition alone), hence import(). */
async function loadValidators(): Promise<Validators> {
  const [{ Deployment }, { Service }, { ConfigMap }, { Namespace }, { PodDisruptionBudget }] =
    await Promise.all([
      import("kubernetes-models/apps/v1/Deployment"),
      import("kubernetes-models/v1/Service"),
      import("kubernetes-models/v1/ConfigMap"),
      import("kubernetes-models/v1/Namespace"),
      import("kubernetes-models/policy/v1/PodDisruptionBudget"),
    ]);
  return {
    [TYPES.deployment]: (o) => new Deployment(o).validate(),
    [TYPES.service]: (o) => new Service(o).validate(),
    [TYPES.configMap]: (o) => new ConfigMap(o).validate(),
    [TYPES.namespace]: (o) => new Namespace(o).validate(),
    [TYPES.pdb]: (o) => new PodDisruptionBudget(o).validate(),
  };
}

const obj = (r: Registered) => r.inputs as Obj;
const podSpec = (r: Registered) =>
  (obj(r) as unknown as { spec: { template: { spec: IPodSpec } } }).spec.template.spec;
const container = (r: Registered): IContainer => podSpec(r).containers[0];
const deploymentOf = (run: K8sRun, agent: string) =>
  ofType(run, TYPES.deployment).find(
    (d) => obj(d).metadata.labels?.["cascade.dev/agent"] === agent,
  )!;

for (const stack of ["mainpc", "pc2"]) {
  describe(`kubernetes target, stack ${stack}`, function () {
    this.timeout(60_000);
    let run: K8sRun;
    let validators: Validators;
    before(async () => {
      [run, validators] = await Promise.all([runKubernetes(stack), loadValidators()]);
    });

    it("creates one namespace, provider, group component per group, and per agent a Deployment and Service", () => {
      assert.equal(ofType(run, TYPES.namespace).length, 1);
      assert.equal(obj(ofType(run, TYPES.namespace)[0]).metadata.name, `cascade-${stack}`);
      assert.equal(ofType(run, TYPES.provider).length, 1);
      assert.deepEqual(
        ofType(run, TYPES.group).map((g) => g.name),
        run.fleet.groups.map((g) => g.name),
      );
      assert.equal(ofType(run, TYPES.deployment).length, run.fleet.agents.length);
      assert.equal(ofType(run, TYPES.service).length, run.fleet.agents.length);
      for (const agent of run.fleet.agents) {
        const deployment = deploymentOf(run, agent.name);
        assert.equal(deployment.parent, key(TYPES.group, agent.group), agent.name);
      }
    });

    it("every object validates against the Kubernetes schema, in the stack's namespace", () => {
      let checked = 0;
      for (const resource of run.resources) {
        const validate = validators[resource.type];
        if (!validate) continue;
        const o = obj(resource);
        assert.doesNotThrow(() => validate(o), `${resource.type} ${resource.name}`);
        assert.ok(isDnsLabel(o.metadata.name), o.metadata.name);
        if (resource.type !== TYPES.namespace)
          assert.equal(o.metadata.namespace, `cascade-${stack}`);
        checked++;
      }
      assert.ok(checked >= 2 * run.fleet.agents.length + 1);
    });

    it("rejects an object the schema forbids (the validation is live)", () => {
      const broken = structuredClone(obj(ofType(run, TYPES.deployment)[0])) as unknown as {
        spec: { template: { spec: { containers: { ports: { containerPort: unknown }[] }[] } } };
      };
      broken.spec.template.spec.containers[0].ports[0].containerPort = "http";
      assert.throws(() => validators[TYPES.deployment](broken as unknown as Obj));
    });

    for (const ordering of ORDERINGS) {
      it(`Deployments depend on exactly the planner's edges (${ordering})`, async () => {
        const ordered =
          ordering === run.settings.ordering ? run : await runKubernetes(stack, { ordering });
        assert.equal(ordered.plan.ordering, ordering);
        const deploymentKeys = new Map(
          ordered.fleet.agents.map((a) => [
            key(TYPES.deployment, deploymentOf(ordered, a.name).name),
            a.name,
          ]),
        );
        for (const planned of ordered.plan.agents) {
          const deployment = deploymentOf(ordered, planned.name);
          const edges = deployment.dependsOn
            .filter((dep) => deploymentKeys.has(dep))
            .map((dep) => deploymentKeys.get(dep)!)
            .sort();
          assert.deepEqual(edges, [...planned.dependsOn].sort(), planned.name);
        }
      });
    }

    it("gates each Deployment's await on its own worst case plus the margin", () => {
      for (const planned of run.plan.agents) {
        const deployment = obj(deploymentOf(run, planned.name)) as unknown as {
          metadata: { annotations: Record<string, string> };
          spec: { progressDeadlineSeconds: number };
        };
        const timeout = planned.worstSeconds + run.settings.waitMarginSeconds;
        assert.equal(deployment.metadata.annotations[PULUMI_TIMEOUT_ANNOTATION], String(timeout));
        assert.equal(deployment.spec.progressDeadlineSeconds, timeout);
      }
    });

    it("asks for nvidia.com/gpu only on GPU agents, placed by the stack's GPU settings", async () => {
      const placed = await runKubernetes(stack, {
        gpuNodeSelector: { "nvidia.com/gpu.present": "true" },
        gpuTolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
      });
      for (const agent of placed.fleet.agents) {
        const deployment = deploymentOf(placed, agent.name);
        const limits = container(deployment).resources?.limits ?? {};
        const spec = podSpec(deployment);
        if (agent.gpu) {
          const expected =
            agent.gpu.deviceIds.length > 0 ? agent.gpu.deviceIds.length : agent.gpu.count;
          assert.equal(limits[GPU_RESOURCE], expected, agent.name);
          assert.deepEqual(spec.nodeSelector, { "nvidia.com/gpu.present": "true" });
          assert.equal(spec.tolerations?.[0].key, "nvidia.com/gpu");
        } else {
          assert.equal(limits[GPU_RESOURCE], undefined, agent.name);
          assert.equal(spec.nodeSelector, undefined, agent.name);
          assert.equal(spec.tolerations, undefined, agent.name);
        }
      }
      assert.equal(
        placed.fleet.agents.some((a) => a.gpu),
        stack === "mainpc",
        "mainpc has GPU agents, pc2 none",
      );
    });

    it("mounts the model config the Docker target writes, where CASCADE_MODEL_CONFIG says", () => {
      const withModels = run.fleet.agents.filter((a) => a.models);
      assert.equal(ofType(run, TYPES.configMap).length, withModels.length);
      for (const agent of withModels) {
        const deployment = deploymentOf(run, agent.name);
        const c = container(deployment);
        const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
        assert.equal(env.CASCADE_MODEL_CONFIG, modelConfigPath(agent.name));
        const mount = c.volumeMounts!.find((m) => m.mountPath === env.CASCADE_MODEL_CONFIG)!;
        const volume = podSpec(deployment).volumes!.find((v) => v.name === mount.name)!;
        const configMap = ofType(run, TYPES.configMap).find(
          (cm) => obj(cm).metadata.name === volume.configMap?.name,
        )!;
        const data = (obj(configMap) as unknown as { data: Record<string, string> }).data;
        const content = data[mount.subPath!];
        assert.equal(content, modelConfigJson(agent.models!));
        modelConfigSchema.parse(JSON.parse(content));
      }
    });

    it("sets requests, limits, labels and hardening from the agent", () => {
      for (const agent of run.fleet.agents) {
        const deployment = deploymentOf(run, agent.name);
        const c = container(deployment);
        const labels = obj(deployment).metadata.labels ?? {};
        assert.equal(labels["app.kubernetes.io/part-of"], "cascade");
        assert.equal(labels["cascade.dev/group"], agent.group);
        assert.equal(labels["cascade.dev/wave"], String(agent.wave));
        assert.equal(labels["cascade.dev/critical"], String(agent.critical));
        if (agent.resources.memoryBytes !== undefined) assert.ok(c.resources?.limits?.memory);
        if (agent.resources.cpus !== undefined) assert.ok(c.resources?.requests?.cpu);
        assert.equal(c.securityContext?.allowPrivilegeEscalation, false);
        assert.equal(
          c.securityContext?.readOnlyRootFilesystem,
          agent.security.readOnlyRootFilesystem,
        );
        assert.ok(c.volumeMounts!.some((m) => m.mountPath === "/tmp"));
        assert.equal(podSpec(deployment).securityContext?.runAsNonRoot, true);
      }
    });

    it("gives critical agents, and only those, a disruption budget", () => {
      const budgets = ofType(run, TYPES.pdb)
        .map((p) => obj(p).metadata.name)
        .sort();
      const critical = run.fleet.agents
        .filter((a) => a.critical)
        .map((a) => obj(deploymentOf(run, a.name)).metadata.name)
        .sort();
      assert.deepEqual(budgets, critical);
      assert.ok(critical.length > 0);
    });

    it("carries the Docker target's alert rules in a PrometheusRule, and scrapes with the same job", () => {
      const rule = ofType(run, TYPES.prometheusRule);
      assert.equal(rule.length, 1);
      assert.deepEqual(
        (obj(rule[0]) as unknown as { spec: { groups: unknown } }).spec.groups,
        alertRules(run.fleet),
      );
      const monitor = obj(ofType(run, TYPES.serviceMonitor)[0]) as unknown as {
        spec: {
          endpoints: {
            port: string;
            relabelings: { targetLabel: string; replacement?: string }[];
          }[];
        };
      };
      const endpoint = monitor.spec.endpoints[0];
      assert.equal(
        endpoint.relabelings.find((r) => r.targetLabel === "job")?.replacement,
        AGENT_JOB,
      );
      for (const label of ["service", "group", "wave", "critical", "host"]) {
        assert.ok(
          endpoint.relabelings.some((r) => r.targetLabel === label),
          label,
        );
      }
      // The port the ServiceMonitor names exists on every Service.
      for (const service of ofType(run, TYPES.service)) {
        const ports = (obj(service) as unknown as { spec: { ports: { name: string }[] } }).spec
          .ports;
        assert.ok(
          ports.some((p) => p.name === endpoint.port),
          service.name,
        );
      }
    });

    it("exports per agent the URNs of its Deployment, Service, ConfigMap and disruption budget", () => {
      for (const agent of run.fleet.agents) {
        const name = obj(deploymentOf(run, agent.name)).metadata.name;
        const perAgent: string[] = [TYPES.deployment, TYPES.service, TYPES.configMap, TYPES.pdb];
        const objects = run.resources.filter(
          (r) => perAgent.includes(r.type) && obj(r).metadata.name === name,
        );
        const expected: string[] = [TYPES.deployment, TYPES.service];
        if (agent.models) expected.push(TYPES.configMap);
        if (agent.critical) expected.push(TYPES.pdb);
        assert.deepEqual(objects.map((r) => r.type).sort(), expected.sort(), agent.name);
        assert.deepEqual(
          [...run.agents[agent.name].urns].sort(),
          objects.map((r) => r.urn).sort(),
          agent.name,
        );
      }
    });

    it("matches the golden graph (UPDATE_GOLDEN=1 to regenerate)", () => {
      const file = path.join(ROOT, "test", "golden", `kubernetes-${stack}.json`);
      const text = `${JSON.stringify(graph(run), null, 2)}\n`;
      if (process.env.UPDATE_GOLDEN === "1") writeFileSync(file, text);
      assert.ok(existsSync(file), `${file} is missing: run with UPDATE_GOLDEN=1`);
      assert.equal(text, readFileSync(file, "utf8"));
    });
  });
}

/** The resource graph with the inputs a reviewer cares about; sorted, so registration order does not matter. */
function graph(run: K8sRun): object[] {
  const sorted = [...run.resources].sort((a, b) =>
    key(a.type, a.name).localeCompare(key(b.type, b.name)),
  );
  return sorted.map((r) => ({
    type: r.type,
    name: r.name,
    ...(r.parent ? { parent: r.parent } : {}),
    ...(r.dependsOn.length > 0 ? { dependsOn: r.dependsOn } : {}),
    ...summary(r),
  }));
}

function probe(p: IContainer["startupProbe"]): string | undefined {
  if (!p?.httpGet) return undefined;
  return `GET ${p.httpGet.path}:${String(p.httpGet.port)} delay ${p.initialDelaySeconds} period ${p.periodSeconds} timeout ${p.timeoutSeconds} success ${p.successThreshold ?? "-"} failure ${p.failureThreshold}`;
}

function summary(r: Registered): object {
  const o = obj(r) as unknown as { spec: unknown; data?: unknown };
  switch (r.type) {
    case TYPES.deployment: {
      const c = container(r);
      const spec = o.spec as { replicas: number; strategy: { type: string } };
      return {
        k8sName: obj(r).metadata.name,
        timeoutSeconds: obj(r).metadata.annotations?.[PULUMI_TIMEOUT_ANNOTATION],
        replicas: spec.replicas,
        strategy: spec.strategy.type,
        image: c.image,
        ports: c.ports?.map((p) => p.containerPort),
        resources: c.resources,
        startup: probe(c.startupProbe),
        readiness: probe(c.readinessProbe),
        liveness: probe(c.livenessProbe),
      };
    }
    case TYPES.service:
      return { ports: (o.spec as { ports: unknown }).ports };
    case TYPES.pdb:
      return { minAvailable: (o.spec as { minAvailable: unknown }).minAvailable };
    case TYPES.configMap:
      return { data: o.data };
    case TYPES.prometheusRule:
      return {
        alerts: (o.spec as { groups: { name: string; rules: unknown[] }[] }).groups.map(
          (g) => `${g.name}: ${g.rules.length}`,
        ),
      };
    default:
      return {};
  }
}

describe("kubernetes target: what cannot run on Kubernetes", () => {
  function brokenPc2(): { settings: StackSettings; fleet: Fleet } {
    const settings = stackSettings("pc2", { replicas: { Nobody: 2 } });
    const fleet = loadFleet(path.join(ROOT, settings.fleet), { stack: "pc2", gpuAvailable: true });
    const [first, second] = fleet.agents;
    const agents = [
      { ...first, gpu: { count: -1, deviceIds: [] } },
      { ...second, security: { ...second.security, user: "deploy" } },
      ...fleet.agents.slice(2),
      { ...first, name: `Agent${"X".repeat(60)}`, dependsOn: [] },
    ];
    return { settings, fleet: { ...fleet, agents } };
  }

  it("names every problem at once, one line each", () => {
    const { settings, fleet } = brokenPc2();
    const [first, second] = fleet.agents;
    assert.deepEqual(
      kubernetesProblems({ stack: "pc2", settings, fleet, plan: planFleet(fleet, "waves") }),
      [
        'cascade:replicas names "Nobody", which is not an agent of this fleet',
        `${first.name}: "all GPUs" cannot be requested on Kubernetes; give the agent a GPU count`,
        `${second.name}: security.user "deploy" must be numeric ("uid" or "uid:gid") on Kubernetes`,
        `"Agent${"X".repeat(60)}" has no Kubernetes name: "agent-${"x".repeat(60)}" is not a DNS-1123 label (at most 63 of a-z, 0-9 and "-")`,
      ],
    );
  });

  it("stops the program with them as one RunError (no stack trace) before creating anything", async () => {
    const { settings, fleet } = brokenPc2();
    const plan = planFleet(fleet, "waves");
    const { value: thrown, resources } = await captureRegistrations(
      () => {
        try {
          return new KubernetesFleet("pc2", { stack: "pc2", settings, fleet, plan });
        } catch (error) {
          return error;
        }
      },
      { stack: "pc2" },
    );
    assert.ok(thrown instanceof pulumi.RunError, String(thrown));
    assert.deepEqual(
      thrown.message.split("\n"),
      kubernetesProblems({ stack: "pc2", settings, fleet, plan }),
    );
    assert.deepEqual(
      resources.map((r) => r.type),
      ["cascade:kubernetes:Fleet"],
    );
  });
});
