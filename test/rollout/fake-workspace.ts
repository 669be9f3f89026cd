import {
  EngineError,
  type ChangeSummary,
  type OperationOptions,
  type StackConfig,
  type StackWorkspace,
  type StateResource,
  type UpdateInFlight,
  type UpdateRecord,
  type WorkspaceFactory,
} from "../../src/rollout/workspace";

/** How the next `up` fails. */
export interface UpFailure {
  message: string;
  /** Another update holds the stack: the engine records nothing. */
  locked?: boolean;
  /** The engine recorded a failed update (true unless locked). */
  recorded?: boolean;
  /**
   * Resource steps the failed update began, as its events show them (default: `same` only, it
   * failed before changing anything). As the engine does, its history entry counts only the
   * steps that succeeded: here, the `same` ones.
   */
  began?: ChangeSummary;
  /** The events reached the engine's summary (default true). */
  complete?: boolean;
}

/**
 * An in-memory Pulumi backend for one stack: history, state and outputs are shared by every
 * workspace opened on it (the repository and rollback worktrees); config lives per directory,
 * as stack files do. `calls` logs every operation, in order.
 */
export class FakeBackend {
  history: UpdateRecord[] = [];
  outputs: Record<string, unknown> = {};
  resources: StateResource[] = [];
  calls: string[] = [];
  configs = new Map<string, StackConfig>();
  /** Git commit each directory is checked out at; recorded as git.head. */
  heads = new Map<string, string>();
  /** Directories whose tree is dirty (git.dirty=true in their updates). */
  dirty = new Set<string>();
  /** Outputs each directory's program produces on `up`; default: unchanged. */
  programOutputs = new Map<string, Record<string, unknown>>();
  diff = "  + docker:index/container:Container ServiceRegistry create";
  /** Updates of other processes in flight, as updatesInFlight reports them, one list per call. */
  inFlight: UpdateInFlight[][] = [];
  /** When set, the next `up` fails so. */
  upFailure?: UpFailure;
  /** When set, `up` calls it first (a test's hook, e.g. to make an update of someone else). */
  beforeUp?: (options: OperationOptions) => void;
  /** When set, `appendRecord` calls it first (e.g. another run's lease, written just before). */
  beforeRecord?: (message: string) => void;
  /** Epoch ms of each new history entry. */
  now: () => number = () => 0;

  constructor(readonly stack: string) {}

  open: WorkspaceFactory = (workDir, stack) =>
    Promise.resolve(new FakeWorkspace(this, workDir, stack));

  record(
    update: Omit<UpdateRecord, "version" | "kind" | "result"> & Partial<UpdateRecord>,
  ): UpdateRecord {
    const entry: UpdateRecord = {
      version: (this.history[0]?.version ?? 0) + 1,
      kind: "update",
      result: "succeeded",
      startTime: new Date(this.now()),
      ...update,
    };
    this.history.unshift(entry);
    return entry;
  }

  /** An update by someone else, outside cascade. */
  foreignUpdate(message = "pulumi up by hand"): UpdateRecord {
    return this.record({ message, environment: { "git.head": "f".repeat(40) }, config: {} });
  }
}

export class FakeWorkspace implements StackWorkspace {
  constructor(
    private readonly backend: FakeBackend,
    readonly workDir: string,
    readonly stack: string,
  ) {}

  private config(): StackConfig {
    let config = this.backend.configs.get(this.workDir);
    if (!config) {
      config = {};
      this.backend.configs.set(this.workDir, config);
    }
    return config;
  }

  private describe(op: string, options: OperationOptions): string {
    const extra = [
      options.targets?.length ? `targets=${options.targets.join(",")}` : "",
      options.replace?.length ? `replace=${options.replace.join(",")}` : "",
      options.message ? `message=${options.message}` : "",
    ].filter(Boolean);
    return `${op}@${this.workDir}${extra.length ? ` ${extra.join(" ")}` : ""}`;
  }

  preview(options: OperationOptions = {}) {
    this.backend.calls.push(this.describe("preview", options));
    return Promise.resolve({ changeSummary: { create: 1 }, diff: this.backend.diff });
  }

  up(options: OperationOptions = {}) {
    this.backend.calls.push(this.describe("up", options));
    this.backend.beforeUp?.(options);
    const head = this.backend.heads.get(this.workDir) ?? "0".repeat(40);
    const failure = this.backend.upFailure;
    this.backend.upFailure = undefined;
    if (failure?.locked) return Promise.reject(new EngineError(failure.message, true));
    if (failure && failure.recorded === false)
      return Promise.reject(new EngineError(failure.message));
    const entry = this.backend.record({
      message: options.message ?? "",
      environment: {
        "git.head": head,
        "git.dirty": String(this.backend.dirty.has(this.workDir)),
      },
      config: structuredClone(this.config()),
      resourceChanges: failure ? { same: failure.began?.same ?? 3 } : { same: 2, update: 1 },
      ...(failure === undefined ? {} : { result: "failed" as const }),
    });
    if (failure !== undefined) {
      const steps = { ops: failure.began ?? { same: 3 }, complete: failure.complete ?? true };
      return Promise.reject(new EngineError(failure.message, false, steps));
    }
    const produced = this.backend.programOutputs.get(this.workDir);
    if (produced && !options.targets) this.backend.outputs = produced;
    return Promise.resolve({
      version: entry.version,
      changeSummary: { update: 1 },
      outputs: this.backend.outputs,
    });
  }

  appendRecord(message: string) {
    this.backend.calls.push("record");
    this.backend.beforeRecord?.(message);
    this.backend.record({
      kind: "refresh",
      message,
      environment: {},
      config: structuredClone(this.config()),
      resourceChanges: { same: 1 },
    });
    return Promise.resolve();
  }

  updatesInFlight() {
    this.backend.calls.push("updatesInFlight");
    return Promise.resolve(this.backend.inFlight.shift() ?? []);
  }

  history() {
    this.backend.calls.push("history");
    return Promise.resolve(structuredClone(this.backend.history));
  }

  outputs() {
    return Promise.resolve(this.backend.outputs);
  }

  resources() {
    return Promise.resolve(this.backend.resources);
  }

  getAllConfig() {
    return Promise.resolve(structuredClone(this.config()));
  }

  setAllConfig(config: StackConfig) {
    this.backend.calls.push(`setAllConfig@${this.workDir}`);
    this.backend.configs.set(this.workDir, structuredClone(config));
    return Promise.resolve();
  }

  removeConfig(key: string) {
    this.backend.calls.push(`removeConfig@${this.workDir} ${key}`);
    delete this.config()[key];
    return Promise.resolve();
  }
}
