import { runDeploy } from "../rollout/deploy";
import { parseCommandLine } from "./args";
import { UsageError } from "./errors";
import { realRolloutContext } from "./rollout-context";

export const DEPLOY_USAGE = `usage: cascade deploy --stack NAME [--yes] [--metrics-file FILE] [--poll-interval SECONDS]
                      [--verify-window SECONDS]

Previews the stack (the diff is shown), asks, runs the update, then watches every agent's health
for the fleet's verify window (rollback_policy.health_check_window, 300 s in the seed). When the
window passes, the update is recorded as verified-good in stack history. When a failure condition
holds, the rollback stages run to the last verified-good version (see docs/rollback.md).
--verify-window overrides the fleet's window (e.g. a short one in tests); --poll-interval (default
10) is the time between polls. A stack with target kubernetes is verified from the Kubernetes API
(each agent's Deployment rolled out and Available, i.e. its pods Ready) instead of health URLs.
The project is the working directory when it holds a Pulumi.yaml, else cascade's own checkout.
--yes skips both questions. Exit 0 only when the update was verified good.`;

export async function deployCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(
    argv,
    {
      stack: { type: "string" },
      yes: { type: "boolean", default: false },
      "metrics-file": { type: "string" },
      "poll-interval": { type: "string" },
      "verify-window": { type: "string" },
    },
    DEPLOY_USAGE,
  );
  if (!values.stack) throw new UsageError("--stack NAME is required", DEPLOY_USAGE);
  const verifyWindowSeconds = positive(values["verify-window"], "--verify-window", DEPLOY_USAGE);
  const { context, fleet } = await realRolloutContext(
    {
      stack: values.stack,
      yes: values.yes ?? false,
      metricsFile: values["metrics-file"],
      pollIntervalSeconds: positive(values["poll-interval"], "--poll-interval", DEPLOY_USAGE),
      verifyWindowSeconds,
    },
    DEPLOY_USAGE,
  );
  const policy =
    verifyWindowSeconds === undefined
      ? fleet.rollbackPolicy
      : { ...fleet.rollbackPolicy, healthCheckWindowSeconds: verifyWindowSeconds };
  const outcome = await runDeploy(context, {
    fleet: { ...fleet, rollbackPolicy: policy },
    yes: values.yes ?? false,
  });
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
