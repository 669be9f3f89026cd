import { FleetError } from "../fleet/loader";
import { EXIT, UsageError } from "./errors";
import { deployCommand, DEPLOY_USAGE } from "./deploy-command";
import { planCommand, PLAN_USAGE } from "./plan-command";
import { demoCommand, DEMO_USAGE, rehearseCommand, REHEARSE_USAGE } from "./rehearse-command";
import { rollbackCommand, ROLLBACK_USAGE } from "./rollback-command";

type Command = (argv: string[]) => number | Promise<number>;

const COMMANDS: Record<string, { run: Command; summary: string; usage: string }> = {
  plan: {
    run: planCommand,
    summary: "validate a fleet and print its startup plan",
    usage: PLAN_USAGE,
  },
  deploy: {
    run: deployCommand,
    summary: "preview, apply, verify health; roll back on failure",
    usage: DEPLOY_USAGE,
  },
  rollback: {
    run: rollbackCommand,
    summary: "roll a stack back to its last verified-good update",
    usage: ROLLBACK_USAGE,
  },
  rehearse: {
    run: rehearseCommand,
    summary: "bring the stack's fleet up on the local Docker engine with stand-ins, and report",
    usage: REHEARSE_USAGE,
  },
  demo: {
    run: demoCommand,
    summary: "rehearse the stack if a Docker engine is reachable, else print its plan",
    usage: DEMO_USAGE,
  },
};

const USAGE = `usage: cascade <command> [options]

commands:
${Object.entries(COMMANDS)
  .map(([name, { summary }]) => `  ${name.padEnd(10)} ${summary}`)
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
    if (rest.includes("--help") || rest.includes("-h")) {
      console.log(command.usage);
      return EXIT.ok;
    }
    return await command.run(rest);
  } catch (error) {
    return report(error);
  }
}

function report(error: unknown): number {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n\n${error.usage}`);
    return EXIT.usage;
  }
  if (error instanceof FleetError) {
    console.error(error.errors.join("\n"));
    return EXIT.invalidInput;
  }
  console.error(`cascade: ${(error as Error).message ?? String(error)}`);
  if (process.env.CASCADE_DEBUG) console.error((error as Error).stack);
  return EXIT.invalidInput;
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
