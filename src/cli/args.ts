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

/** What a numeric flag admits: whole numbers or any, and bounds (`above` is exclusive). */
export interface NumberRule {
  integer?: boolean;
  min?: number;
  above?: number;
  max?: number;
}

/** A positive whole number: counts, seconds, versions. */
export const POSITIVE_INTEGER: NumberRule = { integer: true, min: 1 };

/** A numeric flag, checked against `rule`; undefined when the flag is not given. */
export function numberFlag(
  value: string | undefined,
  flag: string,
  rule: NumberRule,
  usage: string,
): number | undefined {
  if (value === undefined) return undefined;
  const number = value.trim() === "" ? NaN : Number(value);
  const fits =
    Number.isFinite(number) &&
    (!rule.integer || Number.isInteger(number)) &&
    (rule.min === undefined || number >= rule.min) &&
    (rule.above === undefined || number > rule.above) &&
    (rule.max === undefined || number <= rule.max);
  if (fits) return number;
  throw new UsageError(`${flag} must be ${describe(rule)}, not "${value}"`, usage);
}

function describe(rule: NumberRule): string {
  if (rule.integer && rule.min === 1 && rule.max === undefined) return "a positive whole number";
  const kind = rule.integer ? "a whole number" : "a number";
  const low =
    rule.above !== undefined ? `(${rule.above}` : rule.min !== undefined ? `[${rule.min}` : "";
  if (low && rule.max !== undefined) return `${kind} in ${low}, ${rule.max}]`;
  if (rule.above !== undefined) return `${kind} above ${rule.above}`;
  if (rule.min !== undefined) return `${kind} of at least ${rule.min}`;
  if (rule.max !== undefined) return `${kind} of at most ${rule.max}`;
  return kind;
}

/** The flags `cascade deploy` and `cascade rollback` share. */
export const ROLLOUT_OPTIONS = {
  stack: { type: "string" },
  yes: { type: "boolean", default: false },
  "metrics-file": { type: "string" },
  "poll-interval": { type: "string" },
  "verify-window": { type: "string" },
} as const satisfies Options;

export interface RolloutFlags {
  stack: string;
  yes: boolean;
  metricsFile?: string;
  pollIntervalSeconds?: number;
  /** Overrides the fleet's rollback_policy.health_check_window for every verify window. */
  verifyWindowSeconds?: number;
}

/** The shared flags, checked: `--stack` given, the numbers positive whole numbers. */
export function rolloutFlags(
  values: {
    stack?: string;
    yes?: boolean;
    "metrics-file"?: string;
    "poll-interval"?: string;
    "verify-window"?: string;
  },
  usage: string,
): RolloutFlags {
  if (!values.stack) throw new UsageError("--stack NAME is required", usage);
  return {
    stack: values.stack,
    yes: values.yes ?? false,
    metricsFile: values["metrics-file"],
    pollIntervalSeconds: numberFlag(
      values["poll-interval"],
      "--poll-interval",
      POSITIVE_INTEGER,
      usage,
    ),
    verifyWindowSeconds: numberFlag(
      values["verify-window"],
      "--verify-window",
      POSITIVE_INTEGER,
      usage,
    ),
  };
}
