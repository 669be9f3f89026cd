import type * as pulumi from "@pulumi/pulumi";
import type { Fleet } from "../fleet/model";
import type { Plan } from "../fleet/planner";
import type { StackSettings } from "../stack/settings";

/** What every target's fleet component (DockerFleet, KubernetesFleet) is given for one host. */
export interface FleetArgs {
  /** The Pulumi stack: one host. */
  stack: string;
  /** The stack's `cascade:*` settings. */
  settings: StackSettings;
  /** The host's fleet, as loaded and checked. */
  fleet: Fleet;
  /** The planner's startup order for the stack's ordering: every dependsOn edge comes from it. */
  plan: Plan;
}

/** Per agent, what the stack exports, whatever the target (the stack output `agents`). */
export interface AgentOutput {
  /** Container name (Docker) or Deployment name (Kubernetes). */
  name: pulumi.Output<string>;
  wave: number;
  healthUrl: pulumi.Output<string>;
  /**
   * The URNs of every resource of the agent: its container, or its Deployment, Service,
   * ConfigMap and PodDisruptionBudget. What a targeted rollback of the agent names.
   */
  urns: pulumi.Output<string>[];
}
