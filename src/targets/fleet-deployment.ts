import type * as pulumi from "@pulumi/pulumi";
import type { Fleet } from "../fleet/model";
import type { Plan } from "../fleet/planner";
import type { StackSettings } from "../stack/settings";

/** What every target (Docker, Kubernetes) is given to deploy one host's fleet. */
export interface FleetDeploymentArgs {
  stack: string;
  settings: StackSettings;
  fleet: Fleet;
  plan: Plan;
}

/** Per agent, what the stack exports, whatever the target. */
export interface AgentOutput {
  /** Container name (Docker) or Deployment name (Kubernetes). */
  name: pulumi.Output<string>;
  wave: number;
  healthUrl: pulumi.Output<string>;
}
