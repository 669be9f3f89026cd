import type { ModelConfig } from "./model-config";

export class UnknownModelError extends Error {
  constructor(name: string) {
    super(`unknown model ${name}`);
    this.name = "UnknownModelError";
  }
}

/**
 * Pretend model memory with the seed's lazy-loading rules (§5.2): a load takes `loadMs`,
 * at most `max_models_in_memory` stay loaded (the least recently used goes first), and a
 * model unused for `idle_timeout_seconds` is unloaded by `evictIdle`.
 */
export class ModelCache {
  /** Loaded models by name, with when they were last used; Map order is recency order. */
  private readonly loaded = new Map<string, number>();
  private readonly loading = new Map<string, Promise<void>>();

  constructor(
    private readonly config: ModelConfig,
    private readonly loadMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Loaded models, least recently used first. */
  loadedModels(): string[] {
    return [...this.loaded.keys()];
  }

  preloadDone(): boolean {
    return this.config.preload.every((m) => this.loaded.has(m));
  }

  async preload(): Promise<void> {
    for (const model of this.config.preload) await this.use(model);
  }

  /** Marks `model` used, loading it first if needed (concurrent callers share one load). */
  async use(model: string): Promise<void> {
    if (!this.config.preload.includes(model) && !this.config.on_demand.includes(model)) {
      throw new UnknownModelError(model);
    }
    if (!this.loaded.has(model)) {
      let load = this.loading.get(model);
      if (load === undefined) {
        load = this.load(model);
        this.loading.set(model, load);
      }
      await load;
    }
    this.loaded.delete(model);
    this.loaded.set(model, this.now());
  }

  /** Unloads models idle for longer than the idle timeout; returns their names. */
  evictIdle(): string[] {
    const cutoff = this.now() - this.config.idle_timeout_seconds * 1000;
    const idle = [...this.loaded].filter(([, lastUsed]) => lastUsed < cutoff).map(([m]) => m);
    for (const model of idle) this.loaded.delete(model);
    return idle;
  }

  private async load(model: string): Promise<void> {
    try {
      await new Promise((resolve) => setTimeout(resolve, this.loadMs));
      this.loaded.set(model, this.now());
      while (this.loaded.size > this.config.max_models_in_memory) {
        const leastRecent = this.loaded.keys().next().value;
        if (leastRecent === undefined) break;
        this.loaded.delete(leastRecent);
      }
    } finally {
      this.loading.delete(model);
    }
  }
}
