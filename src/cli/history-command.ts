import { stackLedger } from "../rollout/history";
import { parseCommandLine } from "./args";
import { EXIT, UsageError } from "./errors";
import { renderHistory } from "./render-history";
import { projectWorkspace } from "./rollout-context";

export const HISTORY_USAGE = `usage: cascade history --stack NAME [--json]

Lists the stack's updates, newest first, as cascade's record in the stack's history has them:
verified, failed verification, rolled back, unverified, superseded, interrupted, engine failed,
unmarked, rollback (an update a rollback made), not verified (no cascade window decided about
it), and why, with what each verify window measured and how far each rollback got. Also: the
verified-good versions (rollback targets) and the cascade run holding the stack, if any.
--json prints {stack, verifiedGood, lease, updates: [{version, kind, result, startTime, message,
commit, dirty, run, status, reason, polls, measurements, rollback}]} for CI.`;

export async function historyCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(
    argv,
    { stack: { type: "string" }, json: { type: "boolean", default: false } },
    HISTORY_USAGE,
  );
  if (!values.stack) throw new UsageError("--stack NAME is required", HISTORY_USAGE);
  const workspace = await projectWorkspace(values.stack);
  const ledger = stackLedger(await workspace.history(), Date.now());
  console.log(
    values.json
      ? JSON.stringify({ stack: values.stack, ...ledger }, null, 2)
      : renderHistory(values.stack, ledger),
  );
  return EXIT.ok;
}
