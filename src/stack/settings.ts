import { z } from "zod";
import { ORDERINGS } from "../fleet/planner";

/**
 * The `cascade:*` settings of a stack (Pulumi.<stack>.yaml), one host each. Both the Pulumi
 * program and the CLI read them through this schema, so they can never disagree.
 * Registry credentials are not here: the program reads them with `requireSecret` only.
 */
export const stackSettingsSchema = z.strictObject({
  /** Fleet file, relative to the project root. */
  fleet: z.string().min(1),
  target: z.enum(["docker", "kubernetes"]).default("docker"),
  ordering: z.enum(ORDERINGS as ["waves", "dependencies"]).default("waves"),
  /** Whether the host has an NVIDIA GPU (and the NVIDIA container toolkit). */
  gpu: z.boolean().default(false),
  /**
   * On a host without a GPU (`gpu: false`), run the fleet's GPU agents anyway, without their GPU
   * device requests: for trying a fleet on a machine that has none (the local stacks). Never on a
   * production host: the agents' models would run on the CPU.
   */
  runGpuAgentsOnCpu: z.boolean().default(false),
  /**
   * Docker: the most CPUs any one agent may be limited to. Docker refuses a limit above the host's
   * CPU count, so a host smaller than the fleet was written for (a laptop, CI) caps the limits here.
   */
  maxCpus: z.number().positive().optional(),
  /** Docker: the engine to deploy to, e.g. unix:///var/run/docker.sock or ssh://deploy@mainpc. */
  dockerHost: z.string().default("unix:///var/run/docker.sock"),
  /** Docker: the network the stack's containers share; default cascade-<stack>. */
  network: z.string().optional(),
  /** Docker: host name users reach the agents' health ports on, for the health URL outputs. */
  publicHost: z.string().default("localhost"),
  /** Prefix of every image, e.g. registry.example.com/cascade; empty for local images. */
  imageRegistry: z.string().default(""),
  /** Tag of every agent image unless `imageTags` names the agent. */
  imageTag: z.string().default("latest"),
  /** Per-agent tag overrides, e.g. { ModelManagerSuite: "1.4.2" }. */
  imageTags: z.record(z.string(), z.string()).default({}),
  /** Registry user; its password is the secret cascade:registryPassword. */
  registryUsername: z.string().optional(),
  /** Prometheus and Grafana next to the fleet. */
  monitoring: z.boolean().default(true),
  prometheusPort: z.int().min(1).max(65535).default(9090),
  grafanaPort: z.int().min(1).max(65535).default(3000),
  /** Seconds added to the planner's worst case to give each container's health wait. */
  waitMarginSeconds: z.int().min(0).default(60),
  /**
   * Docker: `bridge` puts the containers on the stack's network and publishes their ports on the
   * host; `host` runs them in the host's network namespace (agents reach each other on
   * 127.0.0.1, as the local rehearsal does).
   */
  networkMode: z.enum(["bridge", "host"]).default("bridge"),
  /**
   * Docker: what each container's HEALTHCHECK runs. `cascade-probe` (default) runs the static
   * progressive probe (probe/) from the stack's shared files volume, so it works in any image;
   * `curl` runs `curl -f` against the same endpoints and needs curl and a shell in every image.
   */
  healthProbe: z.enum(["cascade-probe", "curl"]).default("cascade-probe"),
  /** Docker: the static probe binary on the machine running Pulumi, built by probe/build.sh. */
  probeBinary: z.string().min(1).default("probe/dist/cascade-probe"),
  /** Docker: the images of the monitoring containers. */
  prometheusImage: z.string().min(1).default("prom/prometheus:v2.53.0"),
  grafanaImage: z.string().min(1).default("grafana/grafana:11.1.0"),
  /** Kubernetes: kubeconfig context (default: current) and namespace (default cascade-<stack>). */
  kubeContext: z.string().optional(),
  namespace: z.string().optional(),
  /** Kubernetes: where GPU pods go. */
  gpuNodeSelector: z.record(z.string(), z.string()).default({}),
  gpuTolerations: z
    .array(
      z.strictObject({
        key: z.string(),
        operator: z.enum(["Exists", "Equal"]).default("Exists"),
        value: z.string().optional(),
        effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
      }),
    )
    .default([]),
  /**
   * Kubernetes: replicas per agent, e.g. { Responder: 2 } (default 1). Above 1 the pods spread
   * over nodes (preferred anti-affinity) and a critical agent's disruption budget keeps all but one.
   */
  replicas: z.record(z.string(), z.int().min(1)).default({}),
  /**
   * Kubernetes: labels on the ServiceMonitor and PrometheusRule so the Prometheus operator
   * selects them, e.g. { release: kube-prometheus-stack }.
   */
  prometheusSelectorLabels: z.record(z.string(), z.string()).default({}),
  /** Set by `cascade deploy` when a deployment passed verification; read back by rollback. */
  verifiedGood: z.string().optional(),
});

export type StackSettings = z.output<typeof stackSettingsSchema>;

/** How a stack's fleet file is checked against the stack: the GPU check, by name of the stack. */
export function fleetStackContext(
  stack: string,
  settings: Pick<StackSettings, "gpu" | "runGpuAgentsOnCpu">,
): { stack: string; gpuAvailable: boolean } {
  return { stack, gpuAvailable: settings.gpu || settings.runGpuAgentsOnCpu };
}

/** Keys that are secrets and so must not appear as plain values in a stack file. */
export const SECRET_SETTINGS = ["registryPassword"] as const;
