import * as path from "node:path";
import { loadFleet } from "../fleet/loader";
import type { Fleet } from "../fleet/model";
import type { Ordering } from "../fleet/planner";
import { readStackFile } from "../stack/stack-file";
import { UsageError } from "./errors";

/** Where Pulumi.yaml and the stack files live. */
export const PROJECT_ROOT = path.resolve(__dirname, "../..");

export interface FleetInput {
  stack?: string;
  fleet: Fleet;
  ordering: Ordering;
}

/** `--stack S` reads Pulumi.S.yaml for the fleet and its settings; `--fleet FILE` reads a file. */
export function fleetInput(
  options: { stack?: string; fleet?: string; ordering?: Ordering },
  usage: string,
): FleetInput {
  if (!options.stack === !options.fleet) {
    throw new UsageError("give exactly one of --stack NAME or --fleet FILE", usage);
  }
  if (options.fleet) {
    return { fleet: loadFleet(options.fleet), ordering: options.ordering ?? "waves" };
  }
  const stack = readStackFile(PROJECT_ROOT, options.stack!);
  const fleet = loadFleet(stack.fleetPath, {
    stack: stack.stack,
    gpuAvailable: stack.settings.gpu,
  });
  return { stack: stack.stack, fleet, ordering: options.ordering ?? stack.settings.ordering };
}
