/** A command line the command cannot run: printed with its usage, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

/** Exit codes every command keeps. */
export const EXIT = {
  ok: 0,
  /** Invalid input (every problem as file:line:col), an error, or a deploy or rollback that did not end verified good. */
  failed: 1,
  /** A command line the command cannot run. */
  usage: 2,
  /**
   * A rollout that failed: a rehearsal's agent did not become healthy, or a rollback that stopped
   * part way or whose result did not pass verification (the host may be between versions).
   */
  rolloutFailed: 3,
  /** Interrupted (SIGINT or SIGTERM), after removing what it created or putting it in order. */
  interrupted: 130,
} as const;
