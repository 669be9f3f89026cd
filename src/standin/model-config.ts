import { readFileSync } from "node:fs";
import { z } from "zod";

/**
 * The lazy-loading model config an agent reads at start (seed §5.2), from the JSON file named
 * by CASCADE_MODEL_CONFIG. The Docker target writes it from the fleet's `models` section.
 */
export const modelConfigSchema = z
  .strictObject({
    preload: z.array(z.string().min(1)),
    on_demand: z.array(z.string().min(1)),
    max_models_in_memory: z.int().min(1),
    eviction_policy: z.literal("lru"),
    idle_timeout_seconds: z.number().positive(),
  })
  .refine((c) => c.preload.length <= c.max_models_in_memory, {
    message: "more preload models than max_models_in_memory",
    path: ["preload"],
  })
  .refine((c) => c.preload.every((m) => !c.on_demand.includes(m)), {
    message: "a model is both preload and on_demand",
    path: ["on_demand"],
  });
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
