import { readFileSync } from "node:fs";
import { semanticProblems, type StackContext } from "./checks";
import type { Fleet } from "./model";
import { normalize } from "./normalize";
import { escapeUnprintable, type Problem } from "./problems";
import { fleetFileSchema } from "./schema";
import { fieldMessage } from "./field-messages";
import { YamlSource, zodProblems } from "./yaml-source";

/** A file that cannot be used; `errors` holds every problem, one positioned line each. */
export class FleetError extends Error {
  constructor(readonly errors: string[]) {
    super(errors.join("\n"));
    this.name = "FleetError";
  }
}

/** Reads, validates and normalizes a fleet file; throws FleetError with every problem at once. */
export function loadFleet(file: string, stack: StackContext = {}): Fleet {
  return parseFleet(readText(file, "fleet file"), file, stack);
}

export function parseFleet(text: string, file: string, stack: StackContext = {}): Fleet {
  const source = YamlSource.parse(text, file, "fleet file");
  if (Array.isArray(source)) throw new FleetError(source);
  return validateFleet(source.value, file, stack, (problems) => source.format(problems));
}

/** Validates an already parsed fleet; `format` positions the problems in the file. */
export function validateFleet(
  value: unknown,
  file: string,
  stack: StackContext,
  format: (problems: Problem[]) => string[],
): Fleet {
  const parsed = fleetFileSchema.safeParse(value, { error: fieldMessage });
  if (!parsed.success) throw new FleetError(format(zodProblems(parsed.error.issues)));
  const normalized = normalize(parsed.data, file);
  const problems = [...normalized.problems, ...semanticProblems(normalized, stack)];
  if (problems.length > 0) throw new FleetError(format(problems));
  return normalized.fleet;
}

export function readText(file: string, what: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new FleetError([`${escapeUnprintable(file)}: ${unreadable(error, what)}`]);
  }
}

/** Why a file cannot be read, and what to do about it. */
export function unreadable(error: unknown, what: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return `no such ${what}; check the path`;
  if (code === "EISDIR") return `this is a directory, not a ${what}; give the file in it`;
  if (code === "EACCES") return `cannot read the ${what}: permission denied; check its permissions`;
  return `cannot read the ${what}: ${escapeUnprintable((error as Error).message)}`;
}
