import { z } from "zod";

/**
 * The lazy-loading model config an agent reads at start (seed §5.2), from the JSON file named
 * by CASCADE_MODEL_CONFIG: part of the contract every target gives every agent. Targets write it
 * from the fleet's `models` section (agent-contract.ts); agents (the stand-in) read it.
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
