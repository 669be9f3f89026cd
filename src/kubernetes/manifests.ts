import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { IService } from "kubernetes-models/v1/Service";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
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
import { dnsName } from "./names";
import { agentProbes } from "./probes";

/**
 * One agent compiled to plain Kubernetes objects: a Deployment, a Service, a ConfigMap with its
 * model config and, for critical agents, a PodDisruptionBudget. Pure: no Pulumi, no I/O. The
 * Pulumi layer (`agent-group.ts`) only wraps these in resources and adds the namespace and the
 * dependsOn edges. The object types are kubernetes-models', so tests validate them offline.
 */

/** The environment variable naming the model config file, as for the Docker target. */
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
  namespace: string;
  settings: StackSettings;
  fleet: Fleet;
}

export interface AgentManifests {
  /** The agent's DNS name: metadata.name of every object below, and its Service's host name. */
  name: string;
  deployment: IDeployment;
  service: IService;
  /** Agents with a `models` section only. */
  configMap?: IConfigMap;
  /** Critical agents only. */
  podDisruptionBudget?: IPodDisruptionBudget;
  /** `pulumi.com/timeoutSeconds` of the Deployment and the Service. */
  timeoutSeconds: number;
}

export function namespaceName(stack: string, settings: Pick<StackSettings, "namespace">): string {
  return settings.namespace ?? `cascade-${dnsName(stack)}`;
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
  if (gpu.count < 1) {
    throw new Error(
      `${agent.name}: "all GPUs" cannot be requested on Kubernetes; give the agent a GPU count`,
    );
  }
  return gpu.count;
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
export function podSecurity(agent: Agent): NonNullable<IPodSpec["securityContext"]> {
  const user = agent.security.user;
  const base = { seccompProfile: { type: "RuntimeDefault" as const } };
  if (user === undefined) return { ...base, runAsNonRoot: true };
  const [uid, gid] = user.split(":");
  if (uid === "0" || uid === "root") return { ...base, runAsNonRoot: false };
  if (!/^\d+$/.test(uid) || (gid !== undefined && !/^\d+$/.test(gid))) {
    throw new Error(
      `${agent.name}: security.user "${user}" must be numeric ("uid" or "uid:gid") on Kubernetes`,
    );
  }
  return {
    ...base,
    runAsNonRoot: true,
    runAsUser: Number(uid),
    ...(gid === undefined ? {} : { runAsGroup: Number(gid), fsGroup: Number(gid) }),
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
  const name = dnsName(agent.name);
  const labels = agentLabels(agent, ctx);
  const selector = selectorLabels(agent, ctx);
  const replicas = ctx.settings.replicas[agent.name] ?? 1;
  const gpus = gpuCount(agent);
  const timeoutSeconds = planned.worstSeconds + ctx.settings.waitMarginSeconds;
  const metadata = (annotations?: Record<string, string>) => ({
    name,
    namespace: ctx.namespace,
    labels,
    ...(annotations ? { annotations } : {}),
  });

  const modelConfig = agent.models ? modelConfigJson(agent.models) : undefined;
  const configMap: IConfigMap | undefined =
    modelConfig === undefined
      ? undefined
      : {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: metadata(),
          data: { [MODEL_CONFIG_KEY]: modelConfig },
        };

  const ports = [...new Set([agent.servicePort ?? agent.healthPort, agent.healthPort])];
  const limits: Record<string, string | number> = {};
  const requests: Record<string, string | number> = {};
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
  if (gpus !== undefined) limits[GPU_RESOURCE] = gpus;

  const container: IContainer = {
    name,
    image: imageReference(agent, ctx.settings),
    ports: ports.map((containerPort) => ({ containerPort })),
    env: agentEnvironment(agent),
    ...agentProbes(agent),
    resources: {
      ...(Object.keys(requests).length > 0 ? { requests } : {}),
      ...(Object.keys(limits).length > 0 ? { limits } : {}),
    },
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: agent.security.readOnlyRootFilesystem,
      capabilities: { drop: ["ALL"] },
    },
    volumeMounts: [
      { name: "tmp", mountPath: "/tmp" },
      ...(configMap
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

  const gpuPlacement =
    gpus === undefined
      ? {}
      : {
          ...(Object.keys(ctx.settings.gpuNodeSelector).length > 0
            ? { nodeSelector: ctx.settings.gpuNodeSelector }
            : {}),
          ...(ctx.settings.gpuTolerations.length > 0
            ? { tolerations: ctx.settings.gpuTolerations }
            : {}),
        };
  const antiAffinity =
    replicas > 1
      ? {
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  podAffinityTerm: {
                    topologyKey: "kubernetes.io/hostname",
                    labelSelector: { matchLabels: selector },
                  },
                },
              ],
            },
          },
        }
      : {};

  const podSpec: IPodSpec = {
    automountServiceAccountToken: false,
    // ~60 Services per namespace would put ~400 service-link variables into every container.
    enableServiceLinks: false,
    securityContext: podSecurity(agent),
    ...gpuPlacement,
    ...antiAffinity,
    containers: [container],
    volumes: [
      { name: "tmp", emptyDir: {} },
      ...(configMap ? [{ name: "model-config", configMap: { name } }] : []),
    ],
  };

  const deployment: IDeployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: metadata({ [PULUMI_TIMEOUT_ANNOTATION]: String(timeoutSeconds) }),
    spec: {
      replicas,
      selector: { matchLabels: selector },
      // A GPU pod cannot surge: its replacement would wait for the GPU the old pod holds.
      strategy:
        gpus === undefined
          ? { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }
          : { type: "Recreate" },
      progressDeadlineSeconds: timeoutSeconds,
      revisionHistoryLimit: 5,
      template: {
        metadata: {
          labels,
          ...(modelConfig === undefined
            ? {}
            : {
                annotations: {
                  [MODEL_CONFIG_HASH_ANNOTATION]: sha256(modelConfig),
                },
              }),
        },
        spec: podSpec,
      },
    },
  };

  const service: IService = {
    apiVersion: "v1",
    kind: "Service",
    metadata: metadata({ [PULUMI_TIMEOUT_ANNOTATION]: String(timeoutSeconds) }),
    spec: {
      type: "ClusterIP",
      selector,
      ports: [
        ...(agent.servicePort !== undefined && agent.servicePort !== agent.healthPort
          ? [{ name: "service", port: agent.servicePort, targetPort: agent.servicePort }]
          : []),
        { name: "health", port: agent.healthPort, targetPort: agent.healthPort },
      ],
    },
  };

  const podDisruptionBudget: IPodDisruptionBudget | undefined = agent.critical
    ? {
        apiVersion: "policy/v1",
        kind: "PodDisruptionBudget",
        metadata: metadata(),
        spec: {
          minAvailable: replicas > 1 ? replicas - 1 : 1,
          selector: { matchLabels: selector },
          // A crash-looping pod must not block a node drain forever.
          unhealthyPodEvictionPolicy: "AlwaysAllow",
        },
      }
    : undefined;

  return { name, deployment, service, configMap, podDisruptionBudget, timeoutSeconds };
}
