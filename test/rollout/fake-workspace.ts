import type {
  ConfigEntry,
  OperationOptions,
  StackConfig,
  StackWorkspace,
  StateResource,
  UpdateRecord,
  WorkspaceFactory,
} from "../../src/rollout/workspace";

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
  /** Outputs each directory's program produces on `up`; default: unchanged. */
  programOutputs = new Map<string, Record<string, unknown>>();
  diff = "  + docker:index/container:Container ServiceRegistry create";
  cancelFails = true;
  /** When set, the next `up` is recorded as failed and rejects with this message. */
  upFailure?: string;

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
      ...update,
    };
    this.history.unshift(entry);
    return entry;
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
    const head = this.backend.heads.get(this.workDir) ?? "0".repeat(40);
    const failure = this.backend.upFailure;
    this.backend.upFailure = undefined;
    const entry = this.backend.record({
      message: options.message ?? "",
      environment: { "git.head": head, "git.dirty": "false" },
      config: structuredClone(this.config()),
      ...(failure === undefined ? {} : { result: "failed" as const }),
    });
    if (failure !== undefined) return Promise.reject(new Error(failure));
    const produced = this.backend.programOutputs.get(this.workDir);
    if (produced && !options.targets) this.backend.outputs = produced;
    return Promise.resolve({
      version: entry.version,
      changeSummary: { update: 1 },
      outputs: this.backend.outputs,
    });
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

  setConfig(key: string, entry: ConfigEntry) {
    this.config()[key] = { ...entry };
    return Promise.resolve();
  }

  removeConfig(key: string) {
    delete this.config()[key];
    return Promise.resolve();
  }

  cancel() {
    this.backend.calls.push("cancel");
    return this.backend.cancelFails
      ? Promise.reject(new Error("no update in progress"))
      : Promise.resolve();
  }
}
