import { readFileSync } from "node:fs";
import type { z } from "zod";
import { modelConfigSchema } from "../targets/model-config";

/** The model config file the targets write (schema: src/targets/model-config.ts). */
export type ModelConfig = z.infer<typeof modelConfigSchema>;

export const NO_MODELS: ModelConfig = {
  preload: [],
  on_demand: [],
  max_models_in_memory: 1,
  eviction_policy: "lru",
  idle_timeout_seconds: 1800,
};

export function readModelConfig(path: string): ModelConfig {
  return modelConfigSchema.parse(JSON.parse(readFileSync(path, "utf8")));
}
