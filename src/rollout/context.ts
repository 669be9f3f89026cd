import type { RollbackPolicy } from "../fleet/model";
import type { GitRepo } from "./git";
import type { Clock, VerifyResult, VerifyTarget } from "./verifier";
import type { VersionLoader } from "./version";
import type { StackWorkspace, WorkspaceFactory } from "./workspace";

/** Runs the verify window for `targets` (src/rollout/verifier.ts in production). */
export type VerifyFn = (request: {
  targets: VerifyTarget[];
  policy: RollbackPolicy;
  deployStartMs: number;
  deployEndMs: number;
  label: string;
}) => Promise<VerifyResult>;

/** Everything deploy and rollback touch, injected so tests use fakes. */
export interface RolloutContext {
  stack: string;
  /** The stack with the program of this checkout. */
  workspace: StackWorkspace;
  openWorkspace: WorkspaceFactory;
  git: GitRepo;
  loadVersion: VersionLoader;
  verify: VerifyFn;
  confirm: (question: string) => Promise<boolean>;
  clock: Clock;
  /** Operator output, one line (or block) at a time. */
  print: (text: string) => void;
  /**
   * Saves the stack file of `dir` and returns a function that puts it back byte for byte, so the
   * marker's config change leaves no trace in the working tree. Absent in tests.
   */
  guardStackFile?: (dir: string, stack: string) => () => void;
}
