import * as pulumi from "@pulumi/pulumi";
import { FleetError, loadFleet } from "./fleet/loader";
import { planFleet } from "./fleet/planner";
import { pulumiStackSettings } from "./stack/pulumi-settings";
import { deployDockerFleet } from "./docker/fleet";
import { deployKubernetesFleet } from "./kubernetes/fleet";

const stack = pulumi.getStack();
const settings = pulumiStackSettings();
const fleet = loadStackFleet();
const plan = planFleet(fleet, settings.ordering);
const deploy = settings.target === "docker" ? deployDockerFleet : deployKubernetesFleet;
const deployed = deploy({ stack, settings, fleet, plan });

/** Per agent: its container (or Deployment) name, wave and health URL. */
export const agents = deployed.agents;
/** The plan's critical path: the chain of agents that decides when the host is all healthy. */
export const criticalPath = { ordering: plan.ordering, ...plan.criticalPath };

function loadStackFleet() {
  try {
    return loadFleet(settings.fleet, { stack, gpuAvailable: settings.gpu });
  } catch (error) {
    if (error instanceof FleetError) throw new pulumi.RunError(error.errors.join("\n"));
    throw error;
  }
}
