import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { formatFieldPath } from "../fleet/problems";
import { zodProblems } from "../fleet/yaml-source";
import { SECRET_SETTINGS, stackSettingsSchema, type StackSettings } from "./settings";

const NAMESPACE = "cascade:";

/**
 * The stack's `cascade:*` settings from the Pulumi engine. Pulumi hands every value over as text,
 * with booleans, numbers and objects as JSON, so those are decoded. Secrets are left out: they
 * are read where they are used, with `requireSecret`.
 */
export function pulumiStackSettings(): StackSettings {
  const raw: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(pulumi.runtime.allConfig())) {
    const name = key.slice(NAMESPACE.length);
    if (!key.startsWith(NAMESPACE) || (SECRET_SETTINGS as readonly string[]).includes(name))
      continue;
    raw[name] = isTextSetting(name) ? text : decode(text);
  }
  const parsed = stackSettingsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const lines = zodProblems(parsed.error.issues).map(
    (problem) => `  ${NAMESPACE}${formatFieldPath(problem.path)}: ${problem.message}`,
  );
  throw new pulumi.RunError(
    `stack ${pulumi.getStack()} has invalid cascade settings (Pulumi.${pulumi.getStack()}.yaml):\n${lines.join("\n")}`,
  );
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
