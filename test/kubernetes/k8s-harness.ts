import * as pulumi from "@pulumi/pulumi";
import path from "node:path";
import { loadFleet } from "../../src/fleet/loader";
import type { Fleet } from "../../src/fleet/model";
import { planFleet, type Ordering, type Plan } from "../../src/fleet/planner";
import { KubernetesFleet } from "../../src/kubernetes/fleet";
import { readStackFile } from "../../src/stack/stack-file";
import { stackSettingsSchema, type StackSettings } from "../../src/stack/settings";
import { captureRegistrations, type RegisteredResource } from "../support/pulumi-harness";

/**
 * Evaluates the Kubernetes target for a stack under mocks (the shared `captureRegistrations`),
 * with the stack's real settings (Pulumi.<stack>.yaml) plus overrides, target kubernetes. Builds
 * the target directly rather than src/index.ts, so it needs nothing from the engine;
 * test/kubernetes/entry.test.ts runs the entry point itself.
 */

export const ROOT = path.join(__dirname, "..", "..");

export interface Registered {
  /** e.g. "kubernetes:apps/v1:Deployment". */
  type: string;
  name: string;
  urn: string;
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
  agents: Record<string, { name: string; wave: number; healthUrl: string; urns: string[] }>;
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
  return stackSettingsSchema.parse({ ...file.settings, target: "kubernetes", ...overrides });
}

export async function runKubernetes(
  stack: string,
  overrides: Record<string, unknown> & { ordering?: Ordering } = {},
): Promise<K8sRun> {
  const settings = stackSettings(stack, overrides);
  const fleet = loadFleet(path.join(ROOT, settings.fleet), { stack, gpuAvailable: settings.gpu });
  const plan = planFleet(fleet, settings.ordering);
  const { value: deployed, resources } = await captureRegistrations(
    () => new KubernetesFleet(stack, { stack, settings, fleet, plan }),
    { stack },
  );
  const agents = await new Promise<K8sRun["agents"]>((resolve) =>
    pulumi.output(deployed.agents).apply((value) => resolve(value as K8sRun["agents"])),
  );
  return { stack, settings, fleet, plan, deployed, resources: resources.map(keyed), agents };
}

function keyed(resource: RegisteredResource): Registered {
  return {
    type: resource.type,
    name: resource.name,
    urn: resource.urn,
    parent: resource.parentUrn && urnKey(resource.parentUrn),
    dependsOn: [...new Set(resource.dependencyUrns.map(urnKey))].sort(),
    inputs: resource.inputs,
  };
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
