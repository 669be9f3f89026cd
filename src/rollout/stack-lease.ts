import { DEFAULT_LOCK_WAIT_MS, type RolloutContext } from "./context";
import type { Refusal } from "./events";
import { leaseHolder } from "./history";
import { encodeRecord, type RolloutRecord } from "./record";
import { EngineError } from "./workspace";

/**
 * One deploy-plus-window (or rollback) per stack at a time, and the record of every decision:
 * both are entries of the stack's own history (record.ts), written through the engine, so every
 * machine that can deploy the stack sees them and the engine's lock orders them.
 *
 * A run takes the stack with a lease record before its first update and gives it back with its
 * final record. A second run refuses to start while a lease holds (history.ts, leaseHolder: of
 * two runs racing, the one whose lease the engine wrote first gets the stack). A lease whose
 * process is gone is cleared by the next run on the same host (leftovers.ts); one from another
 * host ends at its deadline.
 */

const RECORD_RETRY_MS = 2_000;

/** Whether a record was written; when not, the engine's error (`locked`: still locked by another process). */
export type Written = { written: true } | { written: false; error: EngineError };

/**
 * Writes `record` to the stack's history with `summary` as its headline. When the engine cannot
 * (the stack stays locked by another process's update past `lockWaitMs`, or another error), the
 * record is printed instead, and the run goes on: a record never changes what happens to the
 * host. Says which it was.
 */
export async function writeRecord(
  context: RolloutContext,
  summary: string,
  record: RolloutRecord,
): Promise<Written> {
  const message = encodeRecord(summary, record);
  const deadline = context.clock.now() + (context.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS);
  for (;;) {
    try {
      await context.workspace.appendRecord(message);
      context.emit({ kind: "recorded", summary });
      return { written: true };
    } catch (error) {
      if (!(error instanceof EngineError)) throw error;
      if (!error.locked || context.clock.now() >= deadline) {
        context.emit({ kind: "record-failed", summary: message, error: error.message });
        return { written: false, error };
      }
    }
    // Not the run's abortable sleep: an interrupted run still writes its last record.
    await new Promise((resolve) => setTimeout(resolve, RECORD_RETRY_MS));
  }
}

/** Why the stack cannot be taken now (another run holds it), or undefined. */
export async function stackBusy(context: RolloutContext): Promise<Refusal | undefined> {
  const holder = leaseHolder(await context.workspace.history(), context.clock.now());
  return holder && holder.run !== context.run ? { why: "busy", holder } : undefined;
}

/**
 * Takes the stack for this run until `seconds` from now (or its final record): writes the lease,
 * then reads it back, since a lease written while another holds is void.
 */
export async function takeStack(
  context: RolloutContext,
  command: "deploy" | "rollback",
  seconds: number,
): Promise<Refusal | undefined> {
  const busy = await stackBusy(context);
  if (busy) return busy;
  const untilMs = context.clock.now() + seconds * 1000;
  const { user, host, pid } = context.owner;
  const lease = await writeRecord(
    context,
    `${command} run ${context.run} by ${user}@${host} (pid ${pid}) holds stack ${context.stack} until ${new Date(untilMs).toISOString()}`,
    { kind: "lease", run: context.run, command, owner: context.owner, untilMs },
  );
  if (!lease.written) {
    if (lease.error.locked) {
      return { why: "in-flight", updates: await context.workspace.updatesInFlight() };
    }
    // Without its lease in the history, the run would not keep others off the stack.
    throw new EngineError(
      `could not record the lease of this run in the history of stack ${context.stack}: ${lease.error.message}; the stack is not taken`,
    );
  }
  const after = await stackBusy(context);
  if (after) return after;
  context.emit({ kind: "stack-taken", stack: context.stack, run: context.run, untilMs });
  return undefined;
}
