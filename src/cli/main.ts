import { FleetError } from "../fleet/loader";
import { engineErrorMessage, isEngineError } from "./engine-errors";
import { EXIT, UsageError } from "./errors";
type Command = (argv: string[]) => number | Promise<number>;

/* eslint-disable @typescript-eslint/no-require-imports -- each command's module is loaded only
   when it runs (the rollout's and the rehearsal's modules take seconds to load), by require:
   under mocha the TypeScript loader hooks require only. */
const COMMANDS: Record<string, { summary: string; load: () => { run: Command; usage: string } }> = {
  plan: {
    summary: "validate a fleet and print its startup plan",
    load: () => {
      const m = require("./plan-command") as typeof import("./plan-command");
      return { run: m.planCommand, usage: m.PLAN_USAGE };
    },
  },
  deploy: {
    summary: "preview, apply, verify health; roll back on failure",
    load: () => {
      const m = require("./deploy-command") as typeof import("./deploy-command");
      return { run: m.deployCommand, usage: m.DEPLOY_USAGE };
    },
  },
  rollback: {
    summary: "roll a stack back to its last verified-good update",
    load: () => {
      const m = require("./rollback-command") as typeof import("./rollback-command");
      return { run: m.rollbackCommand, usage: m.ROLLBACK_USAGE };
    },
  },
  history: {
    summary: "list a stack's updates as verified, failed or rolled back, and why",
    load: () => {
      const m = require("./history-command") as typeof import("./history-command");
      return { run: m.historyCommand, usage: m.HISTORY_USAGE };
    },
  },
  unmark: {
    summary: "take a version found bad later off the rollback targets",
    load: () => {
      const m = require("./unmark-command") as typeof import("./unmark-command");
      return { run: m.unmarkCommand, usage: m.UNMARK_USAGE };
    },
  },
  "rollout-spec": {
    summary: "print what deploy and rollback need of this program (JSON; rollback runs it)",
    load: () => {
      const m = require("./rollout-spec-command") as typeof import("./rollout-spec-command");
      return { run: m.rolloutSpecCommand, usage: m.ROLLOUT_SPEC_USAGE };
    },
  },
  rehearse: {
    summary: "bring the stack's fleet up on the local Docker engine with stand-ins, and report",
    load: () => {
      const m = require("./rehearse-command") as typeof import("./rehearse-command");
      return { run: m.rehearseCommand, usage: m.REHEARSE_USAGE };
    },
  },
  export: {
    summary: "write the stack's fleet as a Docker Compose file (export compose)",
    load: () => {
      const m = require("./export-command") as typeof import("./export-command");
      return { run: m.exportCommand, usage: m.EXPORT_USAGE };
    },
  },
  demo: {
    summary: "rehearse the stack if a Docker engine is reachable, else print its plan",
    load: () => {
      const m = require("./rehearse-command") as typeof import("./rehearse-command");
      return { run: m.demoCommand, usage: m.DEMO_USAGE };
    },
  },
};
/* eslint-enable @typescript-eslint/no-require-imports */

const USAGE = `usage: cascade <command> [options]

commands:
${Object.entries(COMMANDS)
  .map(([name, { summary }]) => `  ${name.padEnd(12)} ${summary}`)
  .join("\n")}

Run "cascade <command> --help" for a command's options.`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = name === undefined ? undefined : COMMANDS[name];
  if (!command) {
    const isHelp = name === "--help" || name === "-h";
    (isHelp ? console.log : console.error)(
      name && !isHelp ? `unknown command "${name}"\n\n${USAGE}` : USAGE,
    );
    return isHelp ? EXIT.ok : EXIT.usage;
  }
  try {
    const { run, usage } = command.load();
    if (rest.includes("--help") || rest.includes("-h")) {
      console.log(usage);
      return EXIT.ok;
    }
    return await run(rest);
  } catch (error) {
    return report(error, stackArgument(rest));
  }
}

/** The command line's --stack, which an engine error may not name. */
function stackArgument(argv: string[]): string | undefined {
  const index = argv.indexOf("--stack");
  if (index >= 0) return argv[index + 1];
  return argv.find((arg) => arg.startsWith("--stack="))?.slice("--stack=".length);
}

function report(error: unknown, stack?: string): number {
  if (process.env.CASCADE_DEBUG) console.error((error as Error).stack);
  if (error instanceof UsageError) {
    console.error(`${error.message}\n\n${error.usage}`);
    return EXIT.usage;
  }
  if (error instanceof FleetError) {
    console.error(error.errors.join("\n"));
    return EXIT.failed;
  }
  const message = isEngineError(error)
    ? engineErrorMessage(error, stack)
    : (error as Error).message;
  console.error(`cascade: ${message ?? String(error)}`);
  return EXIT.failed;
}

/**
 * The process entry: runs the command, then exits only once stdout and stderr have drained.
 * `process.exit` right away would cut output to a pipe at the pipe's buffer (64 KiB).
 */
async function run(argv: string[]): Promise<never> {
  for (const stream of [process.stdout, process.stderr]) {
    // A reader that went away (`cascade plan --json | head`) is not an error of ours.
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error;
    });
  }
  process.on("uncaughtException", (error) => {
    process.exitCode = report(error);
    void drained().then(() => process.exit());
  });
  const code = await main(argv);
  await drained();
  process.exit(code);
}

/** Resolves when everything written to stdout and stderr so far has been handed to the OS. */
function drained(): Promise<void[]> {
  const flush = (stream: NodeJS.WriteStream) =>
    new Promise<void>((resolve) => stream.write("", () => resolve()));
  return Promise.all([flush(process.stdout), flush(process.stderr)]);
}

if (require.main === module) void run(process.argv.slice(2));
