import type { z } from "zod";
import { formatFieldPath } from "../fleet/problems";
import { zodProblems } from "../fleet/yaml-source";
import { stackSettingsSchema, type StackSettings } from "../stack/settings";
import type { StackConfig } from "./workspace";

const NAMESPACE = "cascade:";

/**
 * A stack's settings from a config map as Pulumi records it (history, getAllConfig): every value
 * is text, booleans/numbers/objects as JSON. Secrets are skipped. Same decoding as the program's
 * src/stack/pulumi-settings.ts, without the Pulumi runtime.
 */
export function settingsFromConfig(config: StackConfig, where: string): StackSettings {
  const raw: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(config)) {
    if (!key.startsWith(NAMESPACE) || entry.secret) continue;
    const name = key.slice(NAMESPACE.length);
    raw[name] = isTextSetting(name) ? entry.value : decode(entry.value);
  }
  const parsed = stackSettingsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const lines = zodProblems(parsed.error.issues).map(
    (problem) => `  ${NAMESPACE}${formatFieldPath(problem.path)}: ${problem.message}`,
  );
  throw new Error(`${where}: invalid cascade settings:\n${lines.join("\n")}`);
}

function isTextSetting(name: string): boolean {
  let schema = (stackSettingsSchema.shape as Record<string, z.ZodType | undefined>)[name];
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
