import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./errors";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** node:util parseArgs, with every mistake turned into a UsageError that carries `usage`. */
export function parseCommandLine<T extends Options>(argv: string[], options: T, usage: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: false, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message, usage);
  }
}

/** A flag whose value must be one of `choices`. */
export function oneOf<C extends string>(
  value: string | undefined,
  choices: readonly C[],
  flag: string,
  usage: string,
): C | undefined {
  if (value === undefined || (choices as readonly string[]).includes(value)) return value as C;
  throw new UsageError(`${flag} must be one of ${choices.join(", ")}, not "${value}"`, usage);
}
