/**
 * The few stack operations deploy and rollback need, behind an interface so that tests run
 * against an in-memory fake (test/rollout/fake-workspace.ts) and production against the
 * Automation API (./automation-workspace.ts). Nothing here imports Pulumi.
 */

export interface ConfigEntry {
  value: string;
  secret?: boolean;
}
export type StackConfig = Record<string, ConfigEntry>;

export type UpdateResultKind = "succeeded" | "failed" | "in-progress" | "not-started";

/** One entry of `pulumi stack history`. */
export interface UpdateRecord {
  version: number;
  kind: string;
  result: UpdateResultKind;
  message: string;
  /** Pulumi's update environment: git.head, git.dirty, git.headName, exec.kind, ... */
  environment: Record<string, string>;
  config: StackConfig;
  startTime?: Date;
  endTime?: Date;
  /** Steps per operation ("same", "update", "create", ...); absent while in progress. */
  resourceChanges?: ChangeSummary;
}

export interface ChangeSummary {
  [op: string]: number;
}

export interface OperationOptions {
  message?: string;
  /** Resource URNs to limit the operation to (`--target`). */
  targets?: string[];
  /** Resource URNs to replace even if unchanged (`--replace`). */
  replace?: string[];
  /** Streams the engine's output (the diff) as it comes. */
  onOutput?: (text: string) => void;
  /**
   * Cancels the operation: the engine is asked to stop gracefully (SIGINT, once), finishes the
   * steps in flight, saves the state and releases its lock.
   */
  signal?: AbortSignal;
  /** Each resource step as the engine starts and ends it (`cascade deploy --report` draws them). */
  onStep?: (step: ResourceStep) => void;
}

/** One resource step of an update: e.g. a container's create, from the request to its outputs. */
export interface ResourceStep {
  urn: string;
  /** The engine's operation: create, update, replace, delete, same, ... */
  op: string;
  status: "started" | "done" | "failed";
}

export interface PreviewOutcome {
  changeSummary: ChangeSummary;
  /** The diff as the engine printed it. */
  diff: string;
}

export interface UpOutcome {
  version: number;
  changeSummary: ChangeSummary;
  outputs: Record<string, unknown>;
}

export interface StateResource {
  urn: string;
  type: string;
}

/** An update another process is running on the stack, as the backend shows it. */
export interface UpdateInFlight {
  /** Who holds it and since when, e.g. "created by deploy@ci-7 (pid 4242) at 2026-12-02T01:00:00Z". */
  description: string;
  /** Where the backend keeps it (the lock file), when it is a file. */
  where?: string;
}

/**
 * The resource steps an operation began, from the engine's event stream: each step announces
 * itself before it is applied, and a step that then fails counts here too. (The history's
 * resourceChanges count only the steps that succeeded: an update whose Deployment was applied
 * but never became ready records no "update" there.)
 */
export interface StepsBegun {
  /** Steps on resources a provider manages, by operation ("same", "update", "create", ...). */
  ops: ChangeSummary;
  /** The stream reached the engine's summary of the operation: `ops` holds every step it began. */
  complete: boolean;
}

/** Operations that leave every resource as it was (`read` reads one, `refresh` only its state). */
const UNCHANGING_OPS = new Set(["same", "read", "refresh"]);

/** Whether the engine shows that an operation changed no resource: it began no step that could. */
export function changedNothing(steps: StepsBegun | undefined): boolean {
  return (
    steps?.complete === true &&
    Object.entries(steps.ops).every(([op, count]) => count === 0 || UNCHANGING_OPS.has(op))
  );
}

/**
 * The engine refused or failed an operation: `message` holds its error lines. `locked`: another
 * update holds the stack (the engine's own lock), so nothing was done. `steps`: the steps it
 * began, when its event stream was read.
 */
export class EngineError extends Error {
  override name = "EngineError";
  constructor(
    message: string,
    readonly locked = false,
    readonly steps?: StepsBegun,
  ) {
    super(message);
  }
}

/** One selected stack in one program directory. */
export interface StackWorkspace {
  readonly stack: string;
  /** The program directory (the repository, or a rollback worktree). */
  readonly workDir: string;
  preview(options?: OperationOptions): Promise<PreviewOutcome>;
  /**
   * Throws an EngineError when the engine refuses or fails the update; for an update it failed,
   * with the steps it began.
   */
  up(options?: OperationOptions): Promise<UpOutcome>;
  /**
   * Appends an entry with `message` to the stack's history that changes no resource and runs no
   * program: a refresh of the stack's root resource alone (of nothing, on an empty stack). It
   * takes the engine's lock like any update, so it is ordered among them. Throws an EngineError.
   */
  appendRecord(message: string): Promise<void>;
  /**
   * Updates other processes are running on the stack now, as the backend shows them: the engine's
   * lock files on a file:// backend, an update in progress in the history of Pulumi Cloud. On
   * other backends none are visible, and the engine's lock refuses a second update all the same.
   */
  updatesInFlight(): Promise<UpdateInFlight[]>;
  /** Newest first, as `pulumi stack history`. */
  history(): Promise<UpdateRecord[]>;
  outputs(): Promise<Record<string, unknown>>;
  /** The resources in the stack's state. */
  resources(): Promise<StateResource[]>;
  getAllConfig(): Promise<StackConfig>;
  /** Replaces the whole config of the stack (in this workspace's stack file). */
  setAllConfig(config: StackConfig): Promise<void>;
  removeConfig(key: string): Promise<void>;
}

/** Opens the stack `stack` with the program in `workDir`. */
export type WorkspaceFactory = (workDir: string, stack: string) => Promise<StackWorkspace>;
