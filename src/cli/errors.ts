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
export const EXIT = { ok: 0, invalidInput: 1, usage: 2 } as const;
