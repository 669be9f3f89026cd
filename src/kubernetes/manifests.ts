import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { Agent, Fleet } from "../fleet/model";
import type { PlannedAgent } from "../fleet/planner";
import type { StackSettings } from "../stack/settings";
import {
  agentEnvironment as agentIdentityEnvironment,
  imageReference,
  modelConfigJson,
  modelConfigPath,
  sha256,
} from "../targets/agent-contract";
import { dnsName, dnsNameProblem } from "../targets/names";
import { agentProbes } from "./probes";

/**
 * One agent compiled to Kubernetes objects: a Deployment, a Service, a ConfigMap with its model
 * config and, for critical agents, a PodDisruptionBudget, each as the args of its
 * @pulumi/kubernetes resource. Pure: Pulumi's types only, no resources, no I/O. The Pulumi
 * layer (`agent-group.ts`) only wraps these in resources and adds the dependsOn edges; tests
 * validate the objects against the Kubernetes schema with kubernetes-models.
 */

/**
 * The key of the model config in its ConfigMap, mounted with subPath at the Docker target's path
 * (`modelConfigPath(agent)`, /opt/cascade/models/<agent>.json), with the same content.
 */
export const MODEL_CONFIG_KEY = "models.json";
/** Pod template annotation with the config's hash: a model config change rolls the pods. */
export const MODEL_CONFIG_HASH_ANNOTATION = "cascade.dev/model-config-sha256";
/** Pulumi's await timeout annotation; the Deployment await gates on Available. */
export const PULUMI_TIMEOUT_ANNOTATION = "pulumi.com/timeoutSeconds";
export const GPU_RESOURCE = "nvidia.com/gpu";

export const LABELS = {
  name: "app.kubernetes.io/name",
  instance: "app.kubernetes.io/instance",
  partOf: "app.kubernetes.io/part-of",
  managedBy: "app.kubernetes.io/managed-by",
  agent: "cascade.dev/agent",
  group: "cascade.dev/group",
  wave: "cascade.dev/wave",
  critical: "cascade.dev/critical",
  gpu: "cascade.dev/gpu",
} as const;

/** What every agent of one stack shares. */
export interface ManifestContext {
  stack: string;
  /** Where every object goes: the Namespace resource's name, so they wait for it. */
  namespace: pulumi.Input<string>;
  settings: StackSettings;
  fleet: Fleet;
}

export interface AgentManifests {
  /** The agent's DNS name: metadata.name of every object below, and its Service's host name. */
  name: string;
  deployment: k8s.apps.v1.DeploymentArgs;
  service: k8s.core.v1.ServiceArgs;
  /** Agents with a `models` section only. */
  configMap?: k8s.core.v1.ConfigMapArgs;
  /** Critical agents only. */
  podDisruptionBudget?: k8s.policy.v1.PodDisruptionBudgetArgs;
}

/** Docker-style CPU count to a Kubernetes quantity: 0.5 -> "500m", 4 -> "4". */
export function cpuQuantity(cpus: number): string {
  const millis = Math.round(cpus * 1000);
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/** Bytes to the largest exact binary unit: 536870912 -> "512Mi". */
export function memoryQuantity(bytes: number): string {
  for (const [unit, size] of [
    ["Gi", 1024 ** 3],
    ["Mi", 1024 ** 2],
    ["Ki", 1024],
  ] as const) {
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

/** GPUs a pod asks the device plugin for; "all" (-1) has no Kubernetes form. */
export function gpuCount(agent: Agent): number | undefined {
  const gpu = agent.gpu;
  if (!gpu) return undefined;
  if (gpu.deviceIds.length > 0) return gpu.deviceIds.length;
  if (gpu.count < 1) throw new Error(allGpusProblem(agent));
  return gpu.count;
}

/**
 * What keeps an agent off Kubernetes, one line each; empty when nothing does. The builders here
 * take that as given: the fleet component reports these before it builds anything.
 */
export function kubernetesAgentProblems(agent: Agent): string[] {
  const problems: string[] = [];
  const dns = dnsNameProblem(agent.name);
  if (dns) problems.push(dns);
  if (agent.gpu && agent.gpu.deviceIds.length === 0 && agent.gpu.count < 1) {
    problems.push(allGpusProblem(agent));
  }
  if (agent.security.user !== undefined && runAs(agent.security.user) === undefined) {
    problems.push(userProblem(agent));
  }
  return problems;
}

function allGpusProblem(agent: Agent): string {
  return `${agent.name}: "all GPUs" cannot be requested on Kubernetes; give the agent a GPU count`;
}

function userProblem(agent: Agent): string {
  return `${agent.name}: security.user "${agent.security.user}" must be numeric ("uid" or "uid:gid") on Kubernetes`;
}

/** "uid" or "uid:gid" as ids, "root" for uid 0 or root; undefined when neither. */
function runAs(user: string): { uid: number; gid?: number } | "root" | undefined {
  const [uid, gid] = user.split(":");
  if (uid === "0" || uid === "root") return "root";
  if (!/^\d+$/.test(uid) || (gid !== undefined && !/^\d+$/.test(gid))) return undefined;
  return { uid: Number(uid), ...(gid === undefined ? {} : { gid: Number(gid) }) };
}

export function agentLabels(agent: Agent, ctx: ManifestContext): Record<string, string> {
  return {
    [LABELS.name]: dnsName(agent.name),
    [LABELS.instance]: ctx.stack,
    [LABELS.partOf]: "cascade",
    [LABELS.managedBy]: "pulumi",
    [LABELS.agent]: agent.name,
    [LABELS.group]: agent.group,
    // The wave's index, as the Prometheus targets of both targets label it (src/monitoring).
    [LABELS.wave]: String(agent.wave),
    [LABELS.critical]: String(agent.critical),
    [LABELS.gpu]: String(agent.gpu !== undefined),
  };
}

/** The labels a Deployment selects its pods by; immutable once created. */
export function selectorLabels(agent: Agent, ctx: ManifestContext): Record<string, string> {
  return { [LABELS.name]: dnsName(agent.name), [LABELS.instance]: ctx.stack };
}

/**
 * The user id to run as from `security.user` ("uid" or "uid:gid"): numeric ids are set, root
 * turns runAsNonRoot off, no user keeps the image's and asks the kubelet to refuse a root one.
 */
export function podSecurity(agent: Agent): k8s.types.input.core.v1.PodSecurityContext {
  const base = { seccompProfile: { type: "RuntimeDefault" as const } };
  if (agent.security.user === undefined) return { ...base, runAsNonRoot: true };
  const user = runAs(agent.security.user);
  if (user === undefined) throw new Error(userProblem(agent));
  if (user === "root") return { ...base, runAsNonRoot: false };
  return {
    ...base,
    runAsNonRoot: true,
    runAsUser: user.uid,
    ...(user.gid === undefined ? {} : { runAsGroup: user.gid, fsGroup: user.gid }),
  };
}

/**
 * The agent's environment: the Docker target's variables (identity, ports, model config path)
 * and, because Kubernetes has no HEALTHCHECK probe to run the dependency pre-checks, the
 * dependencies' health URLs through their Services for the agent's own /health/ready.
 * CASCADE_BIND_ADDRESS makes it listen on the pod's address, where the kubelet probes and other
 * pods connect.
 */
export function agentEnvironment(agent: Agent): { name: string; value: string }[] {
  const dependencies = agent.health.dependencyChecks.map((check) => ({
    name: check.service,
    url: `http://${dnsName(check.service)}:${check.port}${check.path}`,
    critical: check.required,
  }));
  const env: Record<string, string> = {
    ...agentIdentityEnvironment(agent),
    CASCADE_BIND_ADDRESS: "0.0.0.0",
    ...(dependencies.length > 0 ? { CASCADE_DEPENDENCIES: JSON.stringify(dependencies) } : {}),
  };
  return Object.entries(env)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => ({ name, value }));
}

export function agentManifests(
  agent: Agent,
  planned: PlannedAgent,
  ctx: ManifestContext,
): AgentManifests {
  const timeoutSeconds = planned.worstSeconds + ctx.settings.waitMarginSeconds;
  return {
    name: dnsName(agent.name),
    deployment: agentDeployment(agent, ctx, timeoutSeconds),
    service: agentService(agent, ctx, timeoutSeconds),
    configMap: agentConfigMap(agent, ctx),
    podDisruptionBudget: agentDisruptionBudget(agent, ctx),
  };
}

/** The metadata of every object of the agent: its DNS name, labels and the stack's namespace. */
function objectMetadata(
  agent: Agent,
  ctx: ManifestContext,
  annotations?: Record<string, string>,
): k8s.types.input.meta.v1.ObjectMeta {
  return {
    name: dnsName(agent.name),
    namespace: ctx.namespace,
    labels: agentLabels(agent, ctx),
    ...(annotations ? { annotations } : {}),
  };
}

function replicasOf(agent: Agent, ctx: ManifestContext): number {
  return ctx.settings.replicas[agent.name] ?? 1;
}

/** The agent's model config, for agents with a `models` section; mounted where the Docker target puts it. */
export function agentConfigMap(
  agent: Agent,
  ctx: ManifestContext,
): k8s.core.v1.ConfigMapArgs | undefined {
  if (!agent.models) return undefined;
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: objectMetadata(agent, ctx),
    data: { [MODEL_CONFIG_KEY]: modelConfigJson(agent.models) },
  };
}

export function agentContainer(
  agent: Agent,
  ctx: ManifestContext,
): k8s.types.input.core.v1.Container {
  const ports = [...new Set([agent.servicePort ?? agent.healthPort, agent.healthPort])];
  return {
    name: dnsName(agent.name),
    image: imageReference(agent, ctx.settings),
    ports: ports.map((containerPort) => ({ containerPort })),
    env: agentEnvironment(agent),
    ...agentProbes(agent),
    resources: containerResources(agent),
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: agent.security.readOnlyRootFilesystem,
      capabilities: { drop: ["ALL"] },
    },
    volumeMounts: [
      { name: "tmp", mountPath: "/tmp" },
      ...(agent.models
        ? [
            {
              name: "model-config",
              mountPath: modelConfigPath(agent.name),
              subPath: MODEL_CONFIG_KEY,
              readOnly: true,
            },
          ]
        : []),
    ],
  };
}

/** CPU and memory from the agent's resources; GPUs as an extended resource. */
function containerResources(agent: Agent): k8s.types.input.core.v1.ResourceRequirements {
  const limits: Record<string, string> = {};
  const requests: Record<string, string> = {};
  if (agent.resources.cpus !== undefined) {
    limits.cpu = cpuQuantity(agent.resources.cpus);
    requests.cpu = limits.cpu;
  }
  if (agent.resources.memoryBytes !== undefined) {
    limits.memory = memoryQuantity(agent.resources.memoryBytes);
  }
  const memoryRequest = agent.resources.memoryReservationBytes ?? agent.resources.memoryBytes;
  if (memoryRequest !== undefined) requests.memory = memoryQuantity(memoryRequest);
  // Extended resources are never overcommitted: the request equals the limit, set or not.
  const gpus = gpuCount(agent);
  if (gpus !== undefined) limits[GPU_RESOURCE] = integerQuantity(gpus);
  return {
    ...(Object.keys(requests).length > 0 ? { requests } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
  };
}

/**
 * A count as the API's int-or-string quantity, sent as a number as `kubectl` would; the
 * @pulumi/kubernetes types admit only the string form.
 */
function integerQuantity(count: number): string {
  return count as unknown as string;
}

export function agentPodSpec(agent: Agent, ctx: ManifestContext): k8s.types.input.core.v1.PodSpec {
  return {
    automountServiceAccountToken: false,
    // ~60 Services per namespace would put ~400 service-link variables into every container.
    enableServiceLinks: false,
    securityContext: podSecurity(agent),
    ...gpuPlacement(agent, ctx),
    ...antiAffinity(agent, ctx),
    containers: [agentContainer(agent, ctx)],
    volumes: [
      { name: "tmp", emptyDir: {} },
      ...(agent.models ? [{ name: "model-config", configMap: { name: dnsName(agent.name) } }] : []),
    ],
  };
}

/** GPU pods go where the stack's GPU node selector and tolerations say. */
function gpuPlacement(
  agent: Agent,
  ctx: ManifestContext,
): Partial<k8s.types.input.core.v1.PodSpec> {
  if (gpuCount(agent) === undefined) return {};
  const { gpuNodeSelector, gpuTolerations } = ctx.settings;
  return {
    ...(Object.keys(gpuNodeSelector).length > 0 ? { nodeSelector: gpuNodeSelector } : {}),
    ...(gpuTolerations.length > 0 ? { tolerations: gpuTolerations } : {}),
  };
}

/** Replicas of one agent prefer different nodes. */
function antiAffinity(
  agent: Agent,
  ctx: ManifestContext,
): Partial<k8s.types.input.core.v1.PodSpec> {
  if (replicasOf(agent, ctx) <= 1) return {};
  return {
    affinity: {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: {
              topologyKey: "kubernetes.io/hostname",
              labelSelector: { matchLabels: selectorLabels(agent, ctx) },
            },
          },
        ],
      },
    },
  };
}

/** Gated by Pulumi's await until Available, for at most `timeoutSeconds`. */
export function agentDeployment(
  agent: Agent,
  ctx: ManifestContext,
  timeoutSeconds: number,
): k8s.apps.v1.DeploymentArgs {
  const modelConfig = agent.models ? modelConfigJson(agent.models) : undefined;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: objectMetadata(agent, ctx, {
      [PULUMI_TIMEOUT_ANNOTATION]: String(timeoutSeconds),
    }),
    spec: {
      replicas: replicasOf(agent, ctx),
      selector: { matchLabels: selectorLabels(agent, ctx) },
      // A GPU pod cannot surge: its replacement would wait for the GPU the old pod holds.
      strategy:
        gpuCount(agent) === undefined
          ? { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }
          : { type: "Recreate" },
      progressDeadlineSeconds: timeoutSeconds,
      revisionHistoryLimit: 5,
      template: {
        metadata: {
          labels: agentLabels(agent, ctx),
          ...(modelConfig === undefined
            ? {}
            : { annotations: { [MODEL_CONFIG_HASH_ANNOTATION]: sha256(modelConfig) } }),
        },
        spec: agentPodSpec(agent, ctx),
      },
    },
  };
}

export function agentService(
  agent: Agent,
  ctx: ManifestContext,
  timeoutSeconds: number,
): k8s.core.v1.ServiceArgs {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: objectMetadata(agent, ctx, { [PULUMI_TIMEOUT_ANNOTATION]: String(timeoutSeconds) }),
    spec: {
      type: "ClusterIP",
      selector: selectorLabels(agent, ctx),
      ports: [
        ...(agent.servicePort !== undefined && agent.servicePort !== agent.healthPort
          ? [{ name: "service", port: agent.servicePort, targetPort: agent.servicePort }]
          : []),
        { name: "health", port: agent.healthPort, targetPort: agent.healthPort },
      ],
    },
  };
}

/** Critical agents keep a replica through voluntary disruptions (node drains). */
export function agentDisruptionBudget(
  agent: Agent,
  ctx: ManifestContext,
): k8s.policy.v1.PodDisruptionBudgetArgs | undefined {
  if (!agent.critical) return undefined;
  const replicas = replicasOf(agent, ctx);
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: objectMetadata(agent, ctx),
    spec: {
      minAvailable: replicas > 1 ? replicas - 1 : 1,
      selector: { matchLabels: selectorLabels(agent, ctx) },
      // A crash-looping pod must not block a node drain forever.
      unhealthyPodEvictionPolicy: "AlwaysAllow",
    },
  };
}
