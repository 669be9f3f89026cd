import { existsSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import { FleetError, readText, unreadable } from "../fleet/loader";
import { escapeUnprintable, listNames, quote, Suggester, type Problem } from "../fleet/problems";
import { fieldMessage } from "../fleet/field-messages";
import { YamlSource, zodProblems } from "../fleet/yaml-source";
import { SECRET_SETTINGS, stackSettingsSchema, type StackSettings } from "./settings";

const NAMESPACE = "cascade:";

export interface StackFile {
  stack: string;
  file: string;
  settings: StackSettings;
  /** The fleet file, resolved against the project root, relative to the working directory. */
  fleetPath: string;
  /** A problem with the fleet file as "file:line:col: config.cascade:fleet: message". */
  fleetProblem: (message: string) => string;
}

/**
 * Pulumi.<stack>.yaml of the project, as a path relative to the working directory; a FleetError
 * naming the stacks there, and the one meant when it looks misspelled, when there is none.
 */
export function stackFilePath(projectRoot: string, stack: string): string {
  const file = path.join(projectRoot, `Pulumi.${stack}.yaml`);
  const display = path.relative(process.cwd(), file) || file;
  if (existsSync(file)) return display;
  const known = readdirSync(projectRoot)
    .map((name) => /^Pulumi\.(.+)\.yaml$/.exec(name)?.[1])
    .filter((name): name is string => name !== undefined);
  throw new FleetError([
    `${escapeUnprintable(display)}: no such stack file; the stacks here are ${listNames(known)}.${new Suggester(known).didYouMean(stack)}`,
  ]);
}

/**
 * Reads Pulumi.<stack>.yaml (or `file`, e.g. a rehearsal's --stack-file) without the Pulumi
 * CLI; for `cascade plan` and the other commands. The fleet file is relative to `projectRoot`.
 */
export function readStackFile(
  projectRoot: string,
  stack: string,
  file = stackFilePath(projectRoot, stack),
): StackFile {
  const display = path.relative(process.cwd(), path.resolve(file)) || file;
  const what = `stack file of ${quote(stack)}`;
  const source = YamlSource.parse(readText(display, what), display, what);
  if (Array.isArray(source)) throw new FleetError(source);
  const document = isMapping(source.value) ? source.value : {};
  const config = isMapping(document.config) ? document.config : {};

  const problems: Problem[] = [];
  if (!isMapping(source.value) || !isMapping(document.config)) {
    problems.push({
      path: isMapping(source.value) ? ["config"] : [],
      message: `expected a "config:" mapping of cascade:* settings; see Pulumi.mainpc.yaml`,
    });
  }
  const settings: [string, unknown][] = [];
  for (const [key, value] of Object.entries(config)) {
    if (!key.startsWith(NAMESPACE)) continue;
    const name = key.slice(NAMESPACE.length);
    const isSecret = (SECRET_SETTINGS as readonly string[]).includes(name);
    const encrypted = isMapping(value) && "secure" in value;
    if (isSecret && !encrypted) {
      problems.push({
        path: ["config", key],
        message: `${key} is a secret but is stored in plain text; remove it and run: pulumi config set --secret ${key} <value> --stack ${stack}`,
      });
    } else if (!isSecret) {
      settings.push([name, value]);
    }
  }
  // fromEntries makes own properties, so "cascade:__proto__" cannot set a prototype.
  const parsed = stackSettingsSchema.safeParse(Object.fromEntries(settings), {
    error: fieldMessage,
  });
  if (!parsed.success) {
    for (const problem of zodProblems(parsed.error.issues)) {
      const [setting, ...rest] = problem.path;
      problems.push({ ...problem, path: ["config", `${NAMESPACE}${String(setting)}`, ...rest] });
    }
  }
  if (problems.length > 0 || !parsed.success) throw new FleetError(source.format(problems));
  const fleetProblem = (message: string) =>
    source.format([{ path: ["config", `${NAMESPACE}fleet`], message }])[0];
  return {
    stack,
    file: display,
    settings: parsed.data,
    fleetPath: path.relative(process.cwd(), path.resolve(projectRoot, parsed.data.fleet)),
    fleetProblem,
  };
}

/**
 * Throws, positioned at the stack file's `cascade:fleet` line, when the fleet file it names
 * cannot be read; the fleet file's own problems are positioned in the fleet file.
 */
export function requireFleetFile(stack: StackFile): void {
  let error: unknown = { code: "EISDIR" };
  try {
    if (statSync(stack.fleetPath).isFile()) return;
  } catch (statError) {
    error = statError;
  }
  throw new FleetError([
    stack.fleetProblem(`${quote(stack.fleetPath)}: ${unreadable(error, "fleet file")}`),
  ]);
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
