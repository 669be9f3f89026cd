import { runRollback } from "../rollout/rollback";
import { parseCommandLine } from "./args";
import { positive } from "./deploy-command";
import { UsageError } from "./errors";
import { realRolloutContext } from "./rollout-context";

export const ROLLBACK_USAGE = `usage: cascade rollback --stack NAME [--to VERSION] [--gradual] [--yes] [--metrics-file FILE]
                        [--poll-interval SECONDS] [--verify-window SECONDS]

Rolls the stack back to its last verified-good update (or to VERSION, which must be verified
good): the update's git commit (git.head in stack history) is checked out in a temporary git
worktree with the config the update ran with, the rollback's preview diff is shown and
confirmed, then the fleet's rollback stages run and the result is verified like a deploy.
--gradual rolls back wave by wave in reverse dependency order, each wave verified.
--poll-interval and --verify-window set the verification's poll interval and window (default: 10 s
and the fleet's rollback_policy.health_check_window), as for cascade deploy.
If no rollback is possible, says why and changes nothing (exit 1).`;

export async function rollbackCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(
    argv,
    {
      stack: { type: "string" },
      to: { type: "string" },
      gradual: { type: "boolean", default: false },
      yes: { type: "boolean", default: false },
      "metrics-file": { type: "string" },
      "poll-interval": { type: "string" },
      "verify-window": { type: "string" },
    },
    ROLLBACK_USAGE,
  );
  if (!values.stack) throw new UsageError("--stack NAME is required", ROLLBACK_USAGE);
  const { context, fleet } = await realRolloutContext(
    {
      stack: values.stack,
      yes: values.yes ?? false,
      metricsFile: values["metrics-file"],
      pollIntervalSeconds: positive(values["poll-interval"], "--poll-interval", ROLLBACK_USAGE),
      verifyWindowSeconds: positive(values["verify-window"], "--verify-window", ROLLBACK_USAGE),
    },
    ROLLBACK_USAGE,
  );
  const outcome = await runRollback(context, {
    to: positive(values.to, "--to", ROLLBACK_USAGE),
    yes: values.yes ?? false,
    mode: values.gradual ? "gradual" : "immediate",
    policy: fleet.rollbackPolicy,
  });
  return outcome.kind === "rolled-back" ? 0 : 1;
}
