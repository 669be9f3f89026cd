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

/** One selected stack in one program directory. */
export interface StackWorkspace {
  readonly stack: string;
  /** The program directory (the repository, or a rollback worktree). */
  readonly workDir: string;
  preview(options?: OperationOptions): Promise<PreviewOutcome>;
  up(options?: OperationOptions): Promise<UpOutcome>;
  /** Newest first, as `pulumi stack history`. */
  history(): Promise<UpdateRecord[]>;
  outputs(): Promise<Record<string, unknown>>;
  /** The resources in the stack's state. */
  resources(): Promise<StateResource[]>;
  getAllConfig(): Promise<StackConfig>;
  /** Replaces the whole config of the stack (in this workspace's stack file). */
  setAllConfig(config: StackConfig): Promise<void>;
  setConfig(key: string, entry: ConfigEntry): Promise<void>;
  removeConfig(key: string): Promise<void>;
  /** Cancels an update in flight, if any. */
  cancel(): Promise<void>;
}

/** Opens the stack `stack` with the program in `workDir`. */
export type WorkspaceFactory = (workDir: string, stack: string) => Promise<StackWorkspace>;
