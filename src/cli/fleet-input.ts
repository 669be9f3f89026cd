import * as path from "node:path";
import { loadFleet } from "../fleet/loader";
import type { Fleet } from "../fleet/model";
import type { Ordering } from "../fleet/planner";
import { fleetStackContext, type StackSettings } from "../stack/settings";
import { readStackFile, requireFleetFile } from "../stack/stack-file";
import { UsageError } from "./errors";

/** Where Pulumi.yaml and the stack files live. */
export const PROJECT_ROOT = path.resolve(__dirname, "../..");

export interface FleetInput {
  stack?: string;
  /** The stack's settings (Pulumi.<stack>.yaml); undefined with --fleet. */
  settings?: StackSettings;
  fleet: Fleet;
  ordering: Ordering;
}

/**
 * `--stack S` reads Pulumi.S.yaml (or `stackFile`) for the fleet and its settings; `--fleet FILE`
 * reads a file.
 */
export function fleetInput(
  options: { stack?: string; fleet?: string; ordering?: Ordering; stackFile?: string },
  usage: string,
): FleetInput {
  if (!options.stack === !options.fleet) {
    throw new UsageError("give exactly one of --stack NAME or --fleet FILE", usage);
  }
  if (options.fleet) {
    return { fleet: loadFleet(options.fleet), ordering: options.ordering ?? "waves" };
  }
  const stack = readStackFile(PROJECT_ROOT, options.stack!, options.stackFile);
  requireFleetFile(stack);
  const fleet = loadFleet(stack.fleetPath, fleetStackContext(stack.stack, stack.settings));
  return {
    stack: stack.stack,
    settings: stack.settings,
    fleet,
    ordering: options.ordering ?? stack.settings.ordering,
  };
}
