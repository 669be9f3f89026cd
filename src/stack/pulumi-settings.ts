import * as pulumi from "@pulumi/pulumi";
import { settingsFromConfigText } from "./config-text";
import type { StackSettings } from "./settings";

/** The stack's `cascade:*` settings from the Pulumi engine; invalid ones stop the program. */
export function pulumiStackSettings(): StackSettings {
  const config = Object.entries(pulumi.runtime.allConfig()).map(
    ([key, text]): [string, string, boolean] => [key, text, false],
  );
  const settings = settingsFromConfigText(config);
  if (!Array.isArray(settings)) return settings;
  const stack = pulumi.getStack();
  throw new pulumi.RunError(
    `stack ${stack} has invalid cascade settings (Pulumi.${stack}.yaml):\n${settings.join("\n")}`,
  );
}
