import type { Fleet } from "../fleet/model";
import { planFleet } from "../fleet/planner";
import { RolloutInterrupted, throwIfInterrupted, type RolloutContext } from "./context";
import type { Refusal } from "./events";
import { newestUpdate } from "./history";
import { clearLeftovers } from "./leftovers";
import type { Verdict } from "./policy";
import { withRun, type RolloutRecord, type VerdictResult } from "./record";
import { runRollback, type RollbackOutcome } from "./rollback";
import { stackBusy, takeStack, writeRecord } from "./stack-lease";
import { verifyTargets } from "./targets";
import type { StackSite } from "./version";
import { changedNothing, EngineError, type ChangeSummary } from "./workspace";

/**
 * `cascade deploy`: checks (clean tree, no other run or update on the stack) -> preview (diff
 * shown) -> confirm -> take the stack -> up -> verify window -> verdict recorded in the stack's
 * history, or on a policy trigger the rollback stages (rollback.ts) to the last verified-good
 * version, immediate or gradual as the triggering condition's action says.
 *
 * Only an update this run created and that may have changed something is verified, and only
 * while it is the stack's newest update: an engine that refused the update (the stack locked, a
 * wrong passphrase) or failed before changing anything (a compile error: its events show no step
 * that changes a resource) is reported and nothing else happens; an update by someone else during
 * the window voids the verdict.
 */

export interface DeployRequest {
  /** The fleet of this checkout: its agents are verified, its policy applies. */
  fleet: Fleet;
  /** Where the fleet runs, by this checkout's settings. */
  site: StackSite;
  yes: boolean;
  /** Deploy from a working tree with uncommitted changes; its update is never a rollback target. */
  allowDirty?: boolean;
}

export type DeployOutcome =
  | { kind: "declined" }
  | { kind: "refused"; refusal: Refusal }
  /** The engine refused the update or failed before changing anything: nothing changed. */
  | { kind: "error"; error: string }
  | { kind: "verified"; version: number }
  | { kind: "unverified"; version: number; reason: string }
  | { kind: "superseded"; version: number; by: number }
  | { kind: "rolled-back"; version: number; verdict: Verdict; rollback: RollbackOutcome }
  | { kind: "interrupted"; version?: number };

/** Where the run is, for the record of an interruption. */
interface Progress {
  version?: number;
  commit?: string;
  dirty: boolean;
  during: string;
  holdsStack: boolean;
}

export async function runDeploy(
  context: RolloutContext,
  request: DeployRequest,
): Promise<DeployOutcome> {
  const progress: Progress = {
    dirty: false,
    during: "the checks before the update",
    holdsStack: false,
  };
  try {
    return await deploy(context, request, progress);
  } catch (error) {
    if (!(error instanceof RolloutInterrupted)) {
      if (progress.holdsStack)
        await endRun(context, progress, `the run stopped on an error: ${(error as Error).message}`);
      throw error;
    }
    const state = progress.holdsStack
      ? await endRun(context, progress, "interrupted (SIGINT/SIGTERM)")
      : "nothing was changed";
    context.emit({ kind: "interrupted", stack: context.stack, during: progress.during, state });
    return { kind: "interrupted", version: progress.version };
  }
}

async function deploy(
  context: RolloutContext,
  request: DeployRequest,
  progress: Progress,
): Promise<DeployOutcome> {
  try {
    const before = await beforeTheUpdate(context, request, progress);
    if (before) return before;
  } catch (error) {
    if (!(error instanceof EngineError)) throw error;
    throwIfInterrupted(context);
    const { message, locked } = error;
    context.emit({
      kind: "update-error",
      stack: context.stack,
      during: progress.during,
      error: message,
      locked,
    });
    return { kind: "error", error: message };
  }
  return updateAndVerify(context, request, progress);
}

/**
 * Checks, preview, question, and the stack taken: an outcome when the run ends before the update.
 * The engine's errors here (a wrong passphrase, say) change nothing.
 */
async function beforeTheUpdate(
  context: RolloutContext,
  request: DeployRequest,
  progress: Progress,
): Promise<DeployOutcome | undefined> {
  const { workspace, emit, stack } = context;
  await clearLeftovers(context);
  const refusal = await startRefusal(context, request);
  if (refusal) {
    emit({ kind: "run-refused", stack, command: "deploy", ...refusal });
    return { kind: "refused", refusal };
  }
  progress.during = "the preview";
  emit({ kind: "previewing", of: { deploy: stack } });
  const preview = await workspace.preview({
    message: updateMessage(context),
    signal: context.signal,
  });
  emit({ kind: "preview", diff: preview.diff, changes: preview.changeSummary });
  throwIfInterrupted(context);
  if (!request.yes && !(await context.confirm(`Deploy these changes to stack ${stack}?`))) {
    emit({ kind: "deploy-declined", stack });
    return { kind: "declined" };
  }
  const taken = await takeStack(context, "deploy", leaseSeconds(request.fleet));
  if (taken) {
    emit({ kind: "run-refused", stack, command: "deploy", ...taken });
    return { kind: "refused", refusal: taken };
  }
  progress.holdsStack = true;
  return undefined;
}

async function updateAndVerify(
  context: RolloutContext,
  request: DeployRequest,
  progress: Progress,
): Promise<DeployOutcome> {
  const { emit, stack } = context;
  progress.during = "the update";
  const update = await applyUpdate(context);
  if (update.kind === "not-applied") {
    emit({
      kind: "update-error",
      stack,
      during: "the update",
      error: update.error,
      locked: update.locked,
      version: update.version,
    });
    await finalRecord(
      context,
      progress,
      update.version === undefined
        ? {
            summary: `deploy run ${context.run}: the engine refused the update; nothing changed`,
            reason: update.error,
          }
        : {
            summary: `update ${update.version} failed before changing anything`,
            result: "engine-failed",
            version: update.version,
            reason: update.error,
          },
    );
    return { kind: "error", error: update.error };
  }
  Object.assign(progress, { version: update.version, commit: update.commit, dirty: update.dirty });
  emit(
    update.failure === undefined
      ? { kind: "update-applied", version: update.version, changes: update.changes }
      : { kind: "update-failed", version: update.version, failure: update.failure },
  );
  throwIfInterrupted(context);
  progress.during = `the verify window of update ${update.version}`;
  const policy = request.fleet.rollbackPolicy;
  emit({
    kind: "verify-window",
    seconds: policy.healthCheckWindowSeconds,
    agents: request.fleet.agents.length,
    conditions: policy.failureConditions,
  });
  const verified = await context.verify({
    targets: verifyTargets(request.fleet.agents, update.outputs),
    policy,
    deployStartMs: update.startedMs,
    deployEndMs: update.endedMs,
    label: `update ${update.version}`,
    site: request.site,
    window: "deploy",
  });
  progress.during = `the verdict on update ${update.version}`;
  return decide(context, request, progress, update, verified.verdict);
}

/** Why the deploy must not start, or undefined. */
async function startRefusal(
  context: RolloutContext,
  request: DeployRequest,
): Promise<Refusal | undefined> {
  const dirty = context.git.dirtyFiles();
  if (dirty.length > 0) {
    if (!request.allowDirty) return { why: "dirty", files: dirty };
    context.emit({ kind: "dirty-allowed", files: dirty });
  }
  const updates = await context.workspace.updatesInFlight();
  if (updates.length > 0) return { why: "in-flight", updates };
  return stackBusy(context);
}

/** Long enough for the update of the whole fleet, its window and a rollback of as much. */
function leaseSeconds(fleet: Fleet): number {
  const worstStartup = planFleet(fleet, "waves").criticalPath.seconds;
  return 2 * (worstStartup + fleet.rollbackPolicy.healthCheckWindowSeconds) + 600;
}

function updateMessage(context: RolloutContext): string {
  return withRun(`cascade deploy ${context.stack}`, context.run);
}

type AppliedUpdate =
  | { kind: "not-applied"; error: string; locked: boolean; version?: number }
  | {
      kind: "applied";
      version: number;
      changes: ChangeSummary;
      outputs: Record<string, unknown>;
      /** The engine's error, when it gave up part way. */
      failure?: string;
      commit?: string;
      dirty: boolean;
      startedMs: number;
      endedMs: number;
    };

async function applyUpdate(context: RolloutContext): Promise<AppliedUpdate> {
  const { workspace } = context;
  const message = updateMessage(context);
  const startedMs = context.clock.now();
  let outputs: Record<string, unknown> | undefined;
  let error: EngineError | undefined;
  try {
    outputs = (await workspace.up({ message, signal: context.signal, onStep: context.onStep }))
      .outputs;
  } catch (caught) {
    if (!(caught instanceof EngineError)) throw caught;
    error = caught;
  }
  const endedMs = context.clock.now();
  const created = (await workspace.history()).find((entry) => entry.message === message);
  if (!created) {
    return {
      kind: "not-applied",
      error: error?.message ?? "the engine recorded no update",
      locked: error?.locked ?? false,
    };
  }
  // A failed update may have changed resources (a step the provider applied, then gave up
  // waiting for); it counts as not applied only when the engine's events show it changed none.
  if (error && changedNothing(error.steps)) {
    return { kind: "not-applied", error: error.message, locked: false, version: created.version };
  }
  return {
    kind: "applied",
    version: created.version,
    changes: created.resourceChanges ?? {},
    // A failed update may not have registered the stack's outputs: verify what the stack has.
    outputs: outputs ?? (await workspace.outputs()),
    failure: error?.message,
    commit: created.environment["git.head"],
    dirty: created.environment["git.dirty"] === "true",
    startedMs,
    endedMs,
  };
}

/** What the verify window's verdict means for the update: recorded, left alone, or rolled back. */
async function decide(
  context: RolloutContext,
  request: DeployRequest,
  progress: Progress,
  update: Extract<AppliedUpdate, { kind: "applied" }>,
  verdict: Exclude<Verdict, { kind: "pending" }>,
): Promise<DeployOutcome> {
  const { stack, emit, workspace } = context;
  const version = update.version;
  const window = { polls: verdict.pollsInWindow, measurements: verdict.measurements };
  const newest = newestUpdate(await workspace.history());
  if (newest && newest.version !== version) {
    emit({ kind: "update-superseded", stack, version, by: newest.version });
    await finalRecord(context, progress, {
      summary: `update ${version}: update ${newest.version} came during its window; nothing decided`,
      result: "superseded",
      version,
      reason: `update ${newest.version} was made during the verify window, so the window did not watch update ${version} alone`,
      ...window,
    });
    return { kind: "superseded", version, by: newest.version };
  }
  if (verdict.kind === "verified" && update.failure === undefined) {
    await finalRecord(context, progress, {
      summary: `update ${version} verified good over ${verdict.pollsInWindow} polls`,
      result: "verified",
      version,
      reason: `no failure condition held over ${verdict.pollsInWindow} polls`,
      ...window,
    });
    emit({ kind: "update-verified", version, polls: verdict.pollsInWindow });
    return { kind: "verified", version };
  }
  if (verdict.kind !== "rollback") {
    const reason =
      verdict.kind === "verified" ? `the update failed: ${update.failure}` : verdict.reason;
    emit(
      verdict.kind === "verified"
        ? { kind: "failed-update-not-marked", stack, version }
        : { kind: "update-unverified", stack, version, reason },
    );
    await finalRecord(context, progress, {
      summary: `update ${version} not verified: ${reason}`,
      result: "unverified",
      version,
      reason,
      engineFailure: update.failure,
      ...window,
    });
    return { kind: "unverified", version, reason };
  }
  const trigger = verdict.trigger;
  const mode = trigger.action === "gradual_rollback" ? "gradual" : "immediate";
  emit({ kind: "rollback-triggered", version, trigger });
  await writeRecord(
    context,
    `update ${version} failed verification: ${trigger.reason} -> ${trigger.action}`,
    {
      ...verdictRecord(
        context,
        progress,
        "failed",
        `${trigger.reason} -> ${trigger.action}`,
        version,
      ),
      final: false,
      ...window,
      trigger: {
        condition: trigger.condition,
        action: trigger.action,
        reason: trigger.reason,
        failingAgents: trigger.failingAgents,
      },
      engineFailure: update.failure,
    },
  );
  progress.during = `the rollback after update ${version}`;
  const rollback = await runRollback(context, {
    yes: request.yes,
    mode,
    policy: request.fleet.rollbackPolicy,
    unhealthy: trigger.failingAgents,
    reason: `update ${version} failed verification: ${trigger.reason}`,
    from: version,
  });
  progress.holdsStack = false; // the rollback's final record ended the run
  return { kind: "rolled-back", version, verdict, rollback };
}

function verdictRecord(
  context: RolloutContext,
  progress: Progress,
  result: VerdictResult,
  reason: string,
  version: number,
): Extract<RolloutRecord, { kind: "verdict" }> {
  return {
    kind: "verdict",
    run: context.run,
    final: true,
    update: version,
    ...(progress.commit ? { commit: progress.commit } : {}),
    dirty: progress.dirty,
    result,
    reason,
  };
}

/** The run's last record, which also gives the stack back. */
async function finalRecord(
  context: RolloutContext,
  progress: Progress,
  entry: {
    summary: string;
    reason: string;
    result?: VerdictResult;
    version?: number;
    polls?: number;
    measurements?: Verdict["measurements"];
    engineFailure?: string;
  },
): Promise<void> {
  const { summary, reason, result, version, ...rest } = entry;
  const record: RolloutRecord =
    result === undefined || version === undefined
      ? { kind: "release", run: context.run, final: true, released: context.run, reason }
      : { ...verdictRecord(context, progress, result, reason, version), ...rest };
  await writeRecord(context, summary, record);
  progress.holdsStack = false;
}

/** Ends a run that holds the stack on an interruption or error; says what the stack is left with. */
async function endRun(
  context: RolloutContext,
  progress: Progress,
  reason: string,
): Promise<string> {
  const version = progress.version;
  await finalRecord(
    context,
    progress,
    version === undefined
      ? { summary: `deploy run ${context.run} ended before its update: ${reason}`, reason }
      : {
          summary: `update ${version} ${reason} during ${progress.during}: not verified, nothing rolled back`,
          result: "interrupted",
          version,
          reason: `${reason} during ${progress.during}`,
        },
  );
  return version === undefined
    ? `the stack is as it was; its lease is released`
    : `update ${version} stays on the stack, not verified and not rolled back (cascade rollback --stack ${context.stack} puts the last verified-good version back); the stack's lease is released`;
}
