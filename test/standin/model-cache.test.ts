import assert from "node:assert/strict";
import { ModelCache, UnknownModelError } from "../../src/standin/model-cache";
import type { ModelConfig } from "../../src/standin/model-config";

const config: ModelConfig = {
  preload: ["phi-2"],
  on_demand: ["whisper-large-v3", "xtts-v2", "llava"],
  max_models_in_memory: 3,
  eviction_policy: "lru",
  idle_timeout_seconds: 60,
};

describe("stand-in model cache (seed §5.2)", () => {
  it("loads preload models at start and on-demand ones on first use", async () => {
    const cache = new ModelCache(config, 0);
    assert.equal(cache.preloadDone(), false);
    await cache.preload();
    assert.equal(cache.preloadDone(), true);
    assert.deepEqual(cache.loadedModels(), ["phi-2"]);
    await cache.use("xtts-v2");
    assert.deepEqual(cache.loadedModels(), ["phi-2", "xtts-v2"]);
  });

  it("evicts the least recently used model beyond max_models_in_memory", async () => {
    const cache = new ModelCache(config, 0);
    await cache.preload();
    await cache.use("whisper-large-v3");
    await cache.use("xtts-v2");
    await cache.use("phi-2"); // now the most recent: whisper is the least recently used
    await cache.use("llava");
    assert.deepEqual(cache.loadedModels(), ["xtts-v2", "phi-2", "llava"]);
  });

  it("evicts on-demand models only, never a preload model, even the least recently used", async () => {
    const cache = new ModelCache(config, 0);
    await cache.preload();
    await cache.use("whisper-large-v3");
    await cache.use("xtts-v2");
    await cache.use("llava"); // phi-2 is the least recently used, but pinned
    assert.deepEqual(cache.loadedModels(), ["phi-2", "xtts-v2", "llava"]);
    assert.equal(cache.preloadDone(), true);
  });

  it("with preload models filling the limit, loads an on-demand model for its use only", async () => {
    const full = { ...config, max_models_in_memory: 1 };
    const cache = new ModelCache(full, 0);
    await cache.preload();
    await cache.use("xtts-v2");
    assert.deepEqual(cache.loadedModels(), ["phi-2"]);
  });

  it("unloads on-demand models idle longer than idle_timeout_seconds, and keeps preload ones", async () => {
    let now = 0;
    const cache = new ModelCache(config, 0, () => now);
    await cache.preload();
    await cache.use("whisper-large-v3");
    now = 30_000;
    await cache.use("xtts-v2");
    now = 70_000;
    // phi-2 (preload) and whisper were both last used at 0: only whisper goes.
    assert.deepEqual(cache.evictIdle(), ["whisper-large-v3"]);
    assert.deepEqual(cache.loadedModels(), ["phi-2", "xtts-v2"]);
    assert.equal(cache.preloadDone(), true);
  });

  it("shares one load between concurrent callers and takes the load time", async () => {
    const cache = new ModelCache(config, 100);
    const started = Date.now();
    await Promise.all([cache.use("llava"), cache.use("llava")]);
    assert.ok(Date.now() - started >= 95);
    assert.deepEqual(cache.loadedModels(), ["llava"]);
  });

  it("refuses models that are not configured", async () => {
    await assert.rejects(new ModelCache(config, 0).use("gpt-5"), UnknownModelError);
  });
});
