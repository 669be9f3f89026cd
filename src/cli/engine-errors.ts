import { EngineError } from "../rollout/workspace";

/**
 * The Pulumi CLI's failures, as the Automation API reports them (`code: -2 stdout: stderr:
 * Command failed ... error: ...`), turned into one line that says what to do next. Only what
 * the operator can act on is recognised; anything else is reduced to its "error:" line.
 */

interface Hint {
  pattern: RegExp;
  message: (stack: string, match: RegExpMatchArray) => string;
}

const HINTS: Hint[] = [
  {
    pattern: /PULUMI_ACCESS_TOKEN must be set|not logged in|no credentials/i,
    message: () =>
      'the Pulumi CLI is not logged in to a backend: run "pulumi login --local" (state in ~/.pulumi), or set PULUMI_BACKEND_URL (e.g. file://$HOME/.cascade-state), then run this again',
  },
  {
    pattern: /no stack named '([^']+)' found/,
    message: (_stack, match) =>
      `the backend has no stack "${match[1]}": create it with "pulumi stack init ${match[1]}" in this project, then run this again`,
  },
  {
    pattern: /incorrect passphrase/i,
    message: (stack) =>
      `the passphrase of stack "${stack}" is wrong: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to the one it was created with`,
  },
  {
    pattern: /passphrase must be set/i,
    message: (stack) =>
      `stack "${stack}" keeps its secrets with a passphrase: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) and run this again`,
  },
  {
    pattern: /the stack is currently locked|\[409\] Conflict/i,
    message: (stack) =>
      `another update of stack "${stack}" is running (the backend holds its lock): wait for it to finish; "pulumi cancel --stack ${stack}" only if you are sure none is`,
  },
];

/**
 * A failed `pulumi` command: the Automation API's error (CommandError and its subclasses), or
 * the rollout's EngineError, which keeps the gist of one (its "error:" lines).
 */
export function isEngineError(error: unknown): error is Error {
  return (
    error instanceof EngineError ||
    (error instanceof Error && /\bcode: -?\d+\s*\n\s*stdout:/.test(error.message))
  );
}

/**
 * One actionable line for an engine failure; the stack is read from the failed command, else
 * it is `stack` (the command line's --stack).
 */
export function engineErrorMessage(error: Error, stack?: string): string {
  stack = /--stack (\S+)/.exec(error.message)?.[1] ?? stack ?? "?";
  for (const hint of HINTS) {
    const match = error.message.match(hint.pattern);
    if (match) return hint.message(stack, match);
  }
  const command = /Command failed with exit code \d+: (pulumi(?: [a-z][\w-]*)+)/.exec(
    error.message,
  );
  const reason = /^error: (.+)$/m.exec(error.message)?.[1] ?? error.message.split("\n")[0];
  return `${command ? `${command[1]} failed: ` : ""}${reason.trim()} (CASCADE_DEBUG=1 shows the engine's whole output)`;
}
