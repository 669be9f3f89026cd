import type { RollbackPolicy } from "../fleet/model";
import type { RolloutEvent } from "./events";
import type { GitRepo } from "./git";
import type { Owner } from "./record";
import type { Clock, VerifyResult, VerifyTarget } from "./verifier";
import type { StackSite, VersionLoader } from "./version";
import type { ResourceStep, StackWorkspace, WorkspaceFactory } from "./workspace";

/** Runs the verify window for `targets` (src/rollout/verifier.ts in production). */
export type VerifyFn = (request: {
  targets: VerifyTarget[];
  policy: RollbackPolicy;
  deployStartMs: number;
  deployEndMs: number;
  label: string;
  /** Where the agents run: how they are observed (health URLs or the Kubernetes API). */
  site: StackSite;
  /** Which window ("deploy", "rollback", "rollback-wave-2"): its metrics are kept apart. */
  window: string;
}) => Promise<VerifyResult>;

/** How a question is asked when no one may be there to answer. */
export interface ConfirmOptions {
  /** After this long without an answer, the question is answered `onTimeout`. */
  timeoutMs: number;
  onTimeout: boolean;
}

/** Everything deploy and rollback touch, injected so tests use fakes. */
export interface RolloutContext {
  stack: string;
  /** The stack with the program of this checkout. */
  workspace: StackWorkspace;
  openWorkspace: WorkspaceFactory;
  git: GitRepo;
  loadVersion: VersionLoader;
  verify: VerifyFn;
  confirm: (question: string, options?: ConfirmOptions) => Promise<boolean>;
  clock: Clock;
  /** Waits; rejects with RolloutInterrupted when the run is interrupted meanwhile. */
  sleep: (ms: number) => Promise<void>;
  /** What happens, as it happens; the cli renders it for the operator. */
  emit: (event: RolloutEvent) => void;
  /** The deploy's update, resource by resource (`cascade deploy --report`). */
  onStep?: (step: ResourceStep) => void;
  /** This run: in the message of every update it makes and in every record it writes. */
  run: string;
  owner: Owner;
  /** Whether `owner`'s process is alive: undefined when it runs on another host. */
  isAlive: (owner: Owner) => boolean | undefined;
  /** Aborted on SIGINT/SIGTERM: the run stops, puts things in order and says so. */
  signal?: AbortSignal;
  /** How long to wait for another process's update to release the stack; default 60 s. */
  lockWaitMs?: number;
}

export const DEFAULT_LOCK_WAIT_MS = 60_000;

/** SIGINT or SIGTERM reached the run. */
export class RolloutInterrupted extends Error {
  override name = "RolloutInterrupted";
  constructor() {
    super("interrupted");
  }
}

export function throwIfInterrupted(context: Pick<RolloutContext, "signal">): void {
  if (context.signal?.aborted) throw new RolloutInterrupted();
}
