import { EXIT } from "./errors";

/** What the operator is told when a signal stops a command, and when a second one quits it. */
export interface InterruptNotes {
  /** What the command does after the first signal. */
  stopping: string;
  /** What a second signal leaves behind, and what clears it. */
  leftBehind: string;
}

const ROLLOUT_NOTES: InterruptNotes = {
  stopping: "stopping; putting the stack in order",
  leftBehind: "the next cascade run clears what is left",
};

/**
 * SIGINT and SIGTERM as an AbortSignal while `run` runs: the first one aborts it (the run stops,
 * puts things in order, e.g. the stack, records it, and the command exits 130); a second one
 * exits at once with 130, leaving what the next run clears (docs/rollback.md, "Interrupted runs").
 */
export async function withInterrupts<T>(
  run: (signal: AbortSignal) => Promise<T>,
  notes: InterruptNotes = ROLLOUT_NOTES,
): Promise<T> {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      console.error(`\n${name} again: exiting now; ${notes.leftBehind}.`);
      process.exit(EXIT.interrupted);
    }
    console.error(`\n${name}: ${notes.stopping} (${name} again exits at once).`);
    controller.abort();
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM"];
  for (const name of signals) process.on(name, onSignal);
  try {
    return await run(controller.signal);
  } finally {
    for (const name of signals) process.off(name, onSignal);
  }
}
