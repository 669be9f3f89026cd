import * as pulumi from "@pulumi/pulumi";
import { DockerFleet } from "./docker/fleet";
import { FleetError, loadFleet } from "./fleet/loader";
import { planFleet } from "./fleet/planner";
import { KubernetesFleet } from "./kubernetes/fleet";
import { pulumiStackSettings } from "./stack/pulumi-settings";
import { fleetStackContext } from "./stack/settings";

const stack = pulumi.getStack();
const settings = pulumiStackSettings();
const fleet = loadStackFleet();
const plan = planFleet(fleet, settings.ordering);
const Fleet = settings.target === "docker" ? DockerFleet : KubernetesFleet;
// Named after the stack: the fleet's resources keep the names (and URNs) they had before.
const deployed = new Fleet(stack, { stack, settings, fleet, plan });

/** Per agent: its container (or Deployment) name, wave, health URL and resource URNs. */
export const agents = deployed.agents;
/** The plan's critical path: the chain of agents that decides when the host is all healthy. */
export const criticalPath = { ordering: plan.ordering, ...plan.criticalPath };

function loadStackFleet() {
  try {
    return loadFleet(settings.fleet, fleetStackContext(stack, settings));
  } catch (error) {
    if (error instanceof FleetError) throw new pulumi.RunError(error.errors.join("\n"));
    throw error;
  }
}
