import { runRollback, type RollbackOutcome } from "../rollout/rollback";
import {
  numberFlag,
  parseCommandLine,
  POSITIVE_INTEGER,
  ROLLOUT_OPTIONS,
  rolloutFlags,
} from "./args";
import { EXIT } from "./errors";
import { realRolloutContext } from "./rollout-context";
import { withInterrupts } from "./signals";

export const ROLLBACK_USAGE = `usage: cascade rollback --stack NAME [--to VERSION] [--gradual] [--yes] [--metrics-file FILE]
                        [--poll-interval SECONDS] [--verify-window SECONDS]

Rolls the stack back to its newest verified-good update that can be rebuilt (or to VERSION, which
must be verified good): the update's git commit (git.head in stack history) is checked out in a
temporary git worktree with the config the update ran with, that version's own code says what
it deploys, the rollback's preview diff is shown and confirmed, then the version's rollback stages
run and the result is verified like a deploy and recorded in the stack's history.
--gradual rolls back wave by wave in reverse dependency order, each wave verified.
--poll-interval and --verify-window set the verification's poll interval and window (default: 10 s
and the version's rollback_policy.health_check_window), as for cascade deploy.
If no rollback is possible, says why and changes nothing (exit 1).
Exit: 0 rolled back and verified good; 1 impossible, refused or declined; 3 failed part way or
not verified (the host may be between versions); 130 interrupted (SIGINT/SIGTERM).`;

export async function rollbackCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(
    argv,
    {
      ...ROLLOUT_OPTIONS,
      to: { type: "string" },
      gradual: { type: "boolean", default: false },
    },
    ROLLBACK_USAGE,
  );
  const flags = rolloutFlags(values, ROLLBACK_USAGE);
  const to = numberFlag(values.to, "--to", POSITIVE_INTEGER, ROLLBACK_USAGE);
  return withInterrupts(async (signal) => {
    const context = await realRolloutContext(flags, ROLLBACK_USAGE, signal);
    const outcome = await runRollback(context, {
      to,
      yes: flags.yes,
      mode: values.gradual ? "gradual" : "immediate",
    });
    return rollbackExit(outcome);
  });
}

export function rollbackExit(outcome: RollbackOutcome): number {
  switch (outcome.kind) {
    case "rolled-back":
      return EXIT.ok;
    case "interrupted":
      return EXIT.interrupted;
    case "failed":
    case "unverified":
      return EXIT.rolloutFailed;
    default:
      return EXIT.failed;
  }
}
