import { readFileSync } from "node:fs";
import * as path from "node:path";
import { loadFleet } from "../fleet/loader";
import { planFleet } from "../fleet/planner";
import { settingsFromConfig } from "../rollout/stack-config";
import { versionSpec } from "../rollout/version";
import type { StackConfig } from "../rollout/workspace";
import { fleetStackContext } from "../stack/settings";
import { parseCommandLine } from "./args";
import { EXIT, UsageError } from "./errors";
import { PROJECT_ROOT } from "./fleet-input";

export const ROLLOUT_SPEC_USAGE = `usage: cascade rollout-spec --stack NAME --config FILE

Prints, as JSON (format cascade-rollout-spec/1), what deploy and rollback need to know of this
checkout's program for the stack: where its agents run (target, network or namespace), its
rollback policy, and its agents with their groups, waves, critical flags and health ports.
FILE is the stack's config as "pulumi stack history --json" records it ({"cascade:fleet":
{"value": "...", "secret": false}, ...}). cascade rollback runs this command of the version it
goes back to, so that version's own code reads its own settings.`;

export function rolloutSpecCommand(argv: string[]): number {
  const { values } = parseCommandLine(
    argv,
    { stack: { type: "string" }, config: { type: "string" } },
    ROLLOUT_SPEC_USAGE,
  );
  if (!values.stack || !values.config) {
    throw new UsageError("--stack NAME and --config FILE are required", ROLLOUT_SPEC_USAGE);
  }
  const config = JSON.parse(readFileSync(values.config, "utf8")) as StackConfig;
  const settings = settingsFromConfig(config, `config of stack ${values.stack}`);
  const fleet = loadFleet(
    path.join(PROJECT_ROOT, settings.fleet),
    fleetStackContext(values.stack, settings),
  );
  const plan = planFleet(fleet, settings.ordering);
  console.log(JSON.stringify(versionSpec(values.stack, settings, fleet, plan)));
  return EXIT.ok;
}
