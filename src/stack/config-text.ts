import type { z } from "zod";
import { FleetError } from "../fleet/loader";
import { formatFieldPath } from "../fleet/problems";
import { zodProblems } from "../fleet/yaml-source";
import { SECRET_SETTINGS, stackSettingsSchema, type StackSettings } from "./settings";

const NAMESPACE = "cascade:";

/**
 * Stack settings from config as Pulumi hands it over (to the program, and in stack history):
 * every value is text, with booleans, numbers and objects as JSON, so those are decoded. Secrets
 * are left out: they are read where they are used, with `requireSecret`. Invalid settings throw
 * a FleetError with one line per problem, as "  cascade:key: message".
 */
export function settingsFromConfigText(
  config: Iterable<[key: string, text: string, secret: boolean]>,
): StackSettings {
  const raw: [string, unknown][] = [];
  for (const [key, text, secret] of config) {
    const name = key.slice(NAMESPACE.length);
    const isSecret = secret || (SECRET_SETTINGS as readonly string[]).includes(name);
    if (!key.startsWith(NAMESPACE) || isSecret) continue;
    raw.push([name, isTextSetting(name) ? text : decode(text)]);
  }
  // fromEntries makes own properties, so "cascade:__proto__" cannot set a prototype.
  const parsed = stackSettingsSchema.safeParse(Object.fromEntries(raw));
  if (parsed.success) return parsed.data;
  throw new FleetError(
    zodProblems(parsed.error.issues).map(
      (problem) => `  ${NAMESPACE}${formatFieldPath(problem.path)}: ${problem.message}`,
    ),
  );
}

function isTextSetting(name: string): boolean {
  const shape = stackSettingsSchema.shape as Record<string, z.ZodType | undefined>;
  // Own keys only: "constructor" must not find Object's.
  let schema = Object.hasOwn(shape, name) ? shape[name] : undefined;
  while (schema && (schema.def.type === "default" || schema.def.type === "optional")) {
    schema = (schema.def as unknown as { innerType: z.ZodType }).innerType;
  }
  return schema?.def.type === "string" || schema?.def.type === "enum";
}

function decode(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
