import type { ModelConfig } from "./model-config";

export class UnknownModelError extends Error {
  constructor(name: string) {
    super(`unknown model ${name}`);
    this.name = "UnknownModelError";
  }
}

/**
 * Pretend model memory with the seed's lazy-loading rules (§5.2): a load takes `loadMs`,
 * at most `max_models_in_memory` stay loaded (the least recently used on-demand model goes
 * first), and an on-demand model unused for `idle_timeout_seconds` is unloaded by `evictIdle`.
 * Preload models are pinned: the seed loads them at start because they are used all the time,
 * and the agent's /health/models (and so its readiness) depends on them staying loaded. With
 * preload models filling the limit, an on-demand model is loaded for its request and unloaded
 * right after.
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
    this.evictBeyondLimit();
  }

  /** Unloads on-demand models idle for longer than the idle timeout; returns their names. */
  evictIdle(): string[] {
    const cutoff = this.now() - this.config.idle_timeout_seconds * 1000;
    const idle = this.onDemandLoaded().filter((model) => this.loaded.get(model)! < cutoff);
    for (const model of idle) this.loaded.delete(model);
    return idle;
  }

  /** Loaded on-demand models, least recently used first. */
  private onDemandLoaded(): string[] {
    return this.loadedModels().filter((model) => !this.config.preload.includes(model));
  }

  private evictBeyondLimit(): void {
    const evictable = this.onDemandLoaded();
    while (this.loaded.size > this.config.max_models_in_memory && evictable.length > 0) {
      this.loaded.delete(evictable.shift()!);
    }
  }

  private async load(model: string): Promise<void> {
    try {
      await new Promise((resolve) => setTimeout(resolve, this.loadMs));
      this.loaded.set(model, this.now());
    } finally {
      this.loading.delete(model);
    }
  }
}
