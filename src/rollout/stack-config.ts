import { FleetError } from "../fleet/loader";
import { settingsFromConfigText } from "../stack/config-text";
import type { StackSettings } from "../stack/settings";
import type { StackConfig } from "./workspace";

/** A stack's settings from a config map as Pulumi records it (history, getAllConfig). */
export function settingsFromConfig(config: StackConfig, where: string): StackSettings {
  try {
    return settingsFromConfigText(
      Object.entries(config).map(([key, entry]): [string, string, boolean] => [
        key,
        entry.value,
        entry.secret ?? false,
      ]),
    );
  } catch (error) {
    if (!(error instanceof FleetError)) throw error;
    throw new FleetError([`${where}: invalid cascade settings:`, ...error.errors]);
  }
}
