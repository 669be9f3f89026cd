import { runDeploy } from "../rollout/deploy";
import { parseCommandLine } from "./args";
import { UsageError } from "./errors";
import { fleetInput } from "./fleet-input";
import { realRolloutContext } from "./rollout-context";

export const DEPLOY_USAGE = `usage: cascade deploy --stack NAME [--yes] [--metrics-file FILE] [--poll-interval SECONDS]

Previews the stack (the diff is shown), asks, runs the update, then watches every agent's health
for the fleet's verify window (rollback_policy.health_check_window, 300 s in the seed). When the
window passes, the update is recorded as verified-good in stack history. When a failure condition
holds, the rollback stages run to the last verified-good version (see docs/rollback.md).
--yes skips both questions. Exit 0 only when the update was verified good.`;

export async function deployCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(
    argv,
    {
      stack: { type: "string" },
      yes: { type: "boolean", default: false },
      "metrics-file": { type: "string" },
      "poll-interval": { type: "string" },
    },
    DEPLOY_USAGE,
  );
  if (!values.stack) throw new UsageError("--stack NAME is required", DEPLOY_USAGE);
  const input = fleetInput({ stack: values.stack }, DEPLOY_USAGE);
  const context = await realRolloutContext(
    {
      stack: values.stack,
      yes: values.yes ?? false,
      metricsFile: values["metrics-file"],
      pollIntervalSeconds: positive(values["poll-interval"], "--poll-interval", DEPLOY_USAGE),
    },
    DEPLOY_USAGE,
  );
  const outcome = await runDeploy(context, { fleet: input.fleet, yes: values.yes ?? false });
  return outcome.kind === "verified" ? 0 : 1;
}

export function positive(
  value: string | undefined,
  flag: string,
  usage: string,
): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) {
    throw new UsageError(`${flag} must be a positive whole number, not "${value}"`, usage);
  }
  return number;
}
