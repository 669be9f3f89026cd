import { settingsFromConfigText } from "../stack/config-text";
import type { StackSettings } from "../stack/settings";
import type { StackConfig } from "./workspace";

/** A stack's settings from a config map as Pulumi records it (history, getAllConfig). */
export function settingsFromConfig(config: StackConfig, where: string): StackSettings {
  const settings = settingsFromConfigText(
    Object.entries(config).map(([key, entry]): [string, string, boolean] => [
      key,
      entry.value,
      entry.secret ?? false,
    ]),
  );
  if (!Array.isArray(settings)) return settings;
  throw new Error(`${where}: invalid cascade settings:\n${settings.join("\n")}`);
}
