import * as pulumi from "@pulumi/pulumi";
import path from "node:path";
import { loadFleet } from "../../src/fleet/loader";
import type { Fleet } from "../../src/fleet/model";
import { planFleet, type Ordering, type Plan } from "../../src/fleet/planner";
import { kubernetesFleet, type KubernetesFleet } from "../../src/kubernetes/fleet";
import { readStackFile } from "../../src/stack/stack-file";
import { stackSettingsSchema, type StackSettings } from "../../src/stack/settings";

/**
 * Evaluates the Kubernetes target for a stack under `pulumi.runtime.setMocks`, with the stack's
 * real settings (Pulumi.<stack>.yaml) plus overrides, target kubernetes. Records every
 * registration with its dependencies read from the monitor's request (the mock API does not
 * expose dependsOn). Calls the target directly rather than src/index.ts, so it needs nothing
 * from the engine; test/support/pulumi-harness.ts runs the entry point itself.
 */

export const ROOT = path.join(__dirname, "..", "..");

export interface Registered {
  /** e.g. "kubernetes:apps/v1:Deployment". */
  type: string;
  name: string;
  /** "type::name" of the parent, undefined at the top. */
  parent?: string;
  /** "type::name" of every resource it depends on (explicit dependsOn and input sources). */
  dependsOn: string[];
  inputs: Record<string, unknown>;
}

export interface K8sRun {
  stack: string;
  settings: StackSettings;
  fleet: Fleet;
  plan: Plan;
  deployed: KubernetesFleet;
  resources: Registered[];
  /** Resolved stack outputs (`agents`). */
  agents: Record<string, { name: string; wave: number; healthUrl: string }>;
}

export function key(type: string, name: string): string {
  return `${type}::${name}`;
}

/** "urn:pulumi:s::p::a$b::name" -> "b::name". */
function urnKey(urn: string): string {
  const [, , typePath, name] = urn.split("::");
  return key(typePath.slice(typePath.lastIndexOf("$") + 1), name);
}

export function stackSettings(
  stack: string,
  overrides: Record<string, unknown> = {},
): StackSettings {
  const file = readStackFile(ROOT, stack);
  return stackSettingsSchema.parse({
    ...stripDefaults(file.settings),
    target: "kubernetes",
    ...overrides,
  });
}

/** The stack file's own keys: re-parsing with overrides must not see defaults as set. */
function stripDefaults(settings: StackSettings): Record<string, unknown> {
  return { ...settings };
}

let running = false;

export async function runKubernetes(
  stack: string,
  overrides: Record<string, unknown> & { ordering?: Ordering } = {},
): Promise<K8sRun> {
  if (running) throw new Error("one run at a time: Pulumi's runtime is global");
  running = true;
  try {
    const settings = stackSettings(stack, overrides);
    const fleet = loadFleet(path.join(ROOT, settings.fleet), {
      stack,
      gpuAvailable: settings.gpu,
    });
    const plan = planFleet(fleet, settings.ordering);

    const inputs = new Map<string, Record<string, unknown>>();
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          inputs.set(key(args.type, args.name), args.inputs as Record<string, unknown>);
          return { id: `${args.name}-id`, state: args.inputs as Record<string, unknown> };
        },
        call: (args) => args.inputs as Record<string, unknown>,
      },
      "cascade",
      stack,
      false,
    );

    type Request = {
      getType(): string;
      getName(): string;
      getParent(): string;
      getDependenciesList(): string[];
    };
    const requests: { type: string; name: string; parent: string; deps: string[] }[] = [];
    let pending = 0;
    const monitor = pulumi.runtime.getMonitor() as unknown as {
      registerResource(req: Request, cb: (err: unknown, res: unknown) => void): void;
    };
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
      requests.push({
        type: req.getType(),
        name: req.getName(),
        parent: req.getParent(),
        deps: req.getDependenciesList(),
      });
      pending++;
      original(req, (err, res) => {
        pending--;
        cb(err, res);
      });
    };

    const deployed = kubernetesFleet({ stack, settings, fleet, plan });
    const agents = await new Promise<K8sRun["agents"]>((resolve) =>
      pulumi.output(deployed.agents).apply((value) => resolve(value as K8sRun["agents"])),
    );
    await Promise.all(
      Object.values(deployed.groups).map(
        (group) => new Promise((resolve) => group.deploymentNames.apply(resolve)),
      ),
    );
    // Let every outstanding registration (PDBs, monitoring objects) finish.
    for (let idle = 0; idle < 3;) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      idle = pending === 0 ? idle + 1 : 0;
    }

    const resources = requests.map((req) => ({
      type: req.type,
      name: req.name,
      parent:
        req.parent && !req.parent.includes("pulumi:pulumi:Stack") ? urnKey(req.parent) : undefined,
      dependsOn: [...new Set(req.deps.map(urnKey))].sort(),
      inputs: inputs.get(key(req.type, req.name)) ?? {},
    }));
    return { stack, settings, fleet, plan, deployed, resources, agents };
  } finally {
    running = false;
  }
}

export const TYPES = {
  deployment: "kubernetes:apps/v1:Deployment",
  service: "kubernetes:core/v1:Service",
  configMap: "kubernetes:core/v1:ConfigMap",
  namespace: "kubernetes:core/v1:Namespace",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  group: "cascade:kubernetes:AgentGroup",
  provider: "pulumi:providers:kubernetes",
  serviceMonitor: "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
  prometheusRule: "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
} as const;

export function ofType(run: K8sRun, type: string): Registered[] {
  return run.resources.filter((resource) => resource.type === type);
}
