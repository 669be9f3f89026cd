import * as pulumi from "@pulumi/pulumi";
import { FleetError } from "../fleet/loader";
import { settingsFromConfigText } from "./config-text";
import type { StackSettings } from "./settings";

/** The stack's `cascade:*` settings from the Pulumi engine; invalid ones stop the program. */
export function pulumiStackSettings(): StackSettings {
  const config = Object.entries(pulumi.runtime.allConfig()).map(
    ([key, text]): [string, string, boolean] => [key, text, false],
  );
  try {
    return settingsFromConfigText(config);
  } catch (error) {
    if (!(error instanceof FleetError)) throw error;
    const stack = pulumi.getStack();
    throw new pulumi.RunError(
      `stack ${stack} has invalid cascade settings (Pulumi.${stack}.yaml):\n${error.errors.join("\n")}`,
    );
  }
}
