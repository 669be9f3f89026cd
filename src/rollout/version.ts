import * as path from "node:path";
import { loadFleet } from "../fleet/loader";
import type { Fleet } from "../fleet/model";
import { planFleet, type Plan } from "../fleet/planner";
import type { StackSettings } from "../stack/settings";
import { settingsFromConfig } from "./stack-config";
import type { StackConfig } from "./workspace";

/** A program version as rollback sees it: its settings, fleet and plan. */
export interface ProgramVersion {
  settings: StackSettings;
  fleet: Fleet;
  plan: Plan;
}

export type VersionLoader = (dir: string, stack: string, config: StackConfig) => ProgramVersion;

/** Loads the fleet of the program checked out in `dir`, with the config history recorded. */
export const loadProgramVersion: VersionLoader = (dir, stack, config) => {
  const settings = settingsFromConfig(config, `recorded config of stack ${stack}`);
  const fleet = loadFleet(path.join(dir, settings.fleet), { stack, gpuAvailable: settings.gpu });
  return { settings, fleet, plan: planFleet(fleet, settings.ordering) };
};
