import type { z } from "zod";
import { quote } from "./problems";

const EXPECTED: Record<string, string> = {
  string: "text",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  object: "a mapping (key: value lines)",
  array: "a list",
  tuple: "a list",
  record: "a mapping (name: value lines)",
};

/**
 * zod's messages for the fleet and stack files, in an operator's words and with the fix;
 * undefined keeps zod's own. Schema-level messages (names, durations) take precedence.
 */
export function fieldMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      return typeMessage(issue.expected, issue.input);
    case "too_small":
      if (issue.origin === "array") {
        return `needs at least ${String(issue.minimum)} ${issue.minimum === 1 ? "entry" : "entries"}; add them or remove the key`;
      }
      if (issue.origin === "string") return "is empty; give it a value or remove the key";
      return `must be ${issue.inclusive === false ? "more than" : "at least"} ${String(issue.minimum)}`;
    case "too_big":
      if (issue.origin === "array") return `has more than ${String(issue.maximum)} entries`;
      return `must be at most ${String(issue.maximum)}`;
    case "invalid_value":
      return `must be one of ${issue.values.map(quote).join(", ")}`;
    case "invalid_union":
      if (issue.note === "No matching discriminator" && issue.discriminator === "type") {
        return 'must be one of "http", "composite" or "staged"';
      }
      return undefined;
    default:
      return undefined;
  }
}

function typeMessage(expected: string, input: unknown): string {
  const wanted = EXPECTED[expected] ?? expected;
  if (input === undefined) return `missing; add it (${wanted})`;
  if (input === null) return `is empty; give it ${wanted}`;
  const unquote =
    (expected === "number" || expected === "int") &&
    typeof input === "string" &&
    input.trim() !== "" &&
    !Number.isNaN(Number(input));
  return `expected ${wanted}, not ${describe(input)}${unquote ? "; remove the quotes" : ""}`;
}

function describe(input: unknown): string {
  if (Array.isArray(input)) return "a list";
  if (typeof input === "object") return "a mapping";
  if (typeof input === "string") return `the text ${quote(input)}`;
  if (typeof input === "number") return `the number ${String(input)}`;
  return `${typeof input} ${quote(input)}`;
}
