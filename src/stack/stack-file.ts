import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { FleetError, readText } from "../fleet/loader";
import { didYouMean, type Problem } from "../fleet/problems";
import { YamlSource, zodProblems } from "../fleet/yaml-source";
import { SECRET_SETTINGS, stackSettingsSchema, type StackSettings } from "./settings";

const NAMESPACE = "cascade:";

export interface StackFile {
  stack: string;
  file: string;
  settings: StackSettings;
  /** The fleet file, resolved against the project root, relative to the working directory. */
  fleetPath: string;
}

/** Reads Pulumi.<stack>.yaml without the Pulumi CLI; for `cascade plan` and the other commands. */
export function readStackFile(projectRoot: string, stack: string): StackFile {
  const file = path.join(projectRoot, `Pulumi.${stack}.yaml`);
  const display = path.relative(process.cwd(), file) || file;
  if (!existsSync(file)) {
    const known = readdirSync(projectRoot)
      .map((name) => /^Pulumi\.(.+)\.yaml$/.exec(name)?.[1])
      .filter((name): name is string => name !== undefined);
    throw new FleetError([
      `${display}: no such stack file; the stacks here are ${known.join(", ")}.${didYouMean(stack, known)}`,
    ]);
  }
  const source = YamlSource.parse(readText(display, `settings of stack "${stack}"`), display);
  if (Array.isArray(source)) throw new FleetError(source);
  const config = ((source.value ?? {}) as { config?: Record<string, unknown> }).config ?? {};

  const problems: Problem[] = [];
  const settings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (!key.startsWith(NAMESPACE)) continue;
    const name = key.slice(NAMESPACE.length);
    const isSecret = (SECRET_SETTINGS as readonly string[]).includes(name);
    const encrypted = typeof value === "object" && value !== null && "secure" in value;
    if (isSecret && !encrypted) {
      problems.push({
        path: ["config", key],
        message: `${key} is a secret but is stored in plain text; remove it and run: pulumi config set --secret ${key} <value> --stack ${stack}`,
      });
    } else if (!isSecret) {
      settings[name] = value;
    }
  }
  const parsed = stackSettingsSchema.safeParse(settings);
  if (!parsed.success) {
    for (const problem of zodProblems(parsed.error.issues)) {
      problems.push({ ...problem, path: ["config", `${NAMESPACE}${problem.path.join(".")}`] });
    }
  }
  if (problems.length > 0 || !parsed.success) throw new FleetError(source.format(problems));
  return {
    stack,
    file: display,
    settings: parsed.data,
    fleetPath: path.relative(process.cwd(), path.resolve(projectRoot, parsed.data.fleet)),
  };
}
