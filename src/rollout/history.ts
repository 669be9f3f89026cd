import {
  decodeRecord,
  runOfUpdate,
  type Owner,
  type RolloutRecord,
  type StageRecord,
} from "./record";
import type { WindowMeasurements } from "./policy";
import type { StackConfig, UpdateRecord, UpdateResultKind } from "./workspace";

/**
 * What a stack's history says, read with cascade's records (record.ts) in their place among the
 * updates. Pure.
 *
 * - An update is verified good when a record says its verify window passed (a deploy's verdict,
 *   or a rollback that put a version back and verified it) and nothing but cascade records
 *   came between the update and that record: an update by anyone else in between makes the
 *   record void, so a window that watched someone else's update never counts.
 * - A later `unmark` record takes a version off the list for good.
 * - Stacks deployed by cascade before the record existed carry "marker updates" (message
 *   "cascade: verified-good version N", config cascade:verifiedGood=N); they still count, by the
 *   same rule: the marker must follow update N directly.
 * - A lease record gives the stack to one run until its final record, its deadline, or a release.
 */

export const LEGACY_MARKER_KEY = "cascade:verifiedGood";
const LEGACY_MARKER_PREFIX = "cascade: verified-good version ";
export const ROLLBACK_MESSAGE_PREFIX = "cascade: rollback";
/** What `pulumi stack history --show-secrets` prints for a secret the current key cannot decrypt. */
export const UNDECRYPTABLE = "ERROR_UNABLE_TO_DECRYPT";

interface Entry {
  update: UpdateRecord;
  record?: RolloutRecord;
  /** The version a legacy marker update marks. */
  legacyMarkerOf?: number;
}

/** Oldest first, each with its record. */
function entries(history: readonly UpdateRecord[]): Entry[] {
  return [...history]
    .sort((a, b) => a.version - b.version)
    .map((update) => ({
      update,
      record: update.kind === "refresh" ? decodeRecord(update.message) : undefined,
      legacyMarkerOf: legacyMarkerOf(update),
    }));
}

function legacyMarkerOf(update: UpdateRecord): number | undefined {
  if (update.result !== "succeeded" || !update.message.startsWith(LEGACY_MARKER_PREFIX)) return;
  const marked = Number(update.config[LEGACY_MARKER_KEY]?.value);
  return Number.isInteger(marked) && marked > 0 ? marked : undefined;
}

const isRecord = (entry: Entry) => entry.record !== undefined || entry.legacyMarkerOf !== undefined;

/** The newest entry that is not a cascade record: the update that put the stack where it is. */
export function newestUpdate(history: readonly UpdateRecord[]): UpdateRecord | undefined {
  return entries(history)
    .filter((entry) => !isRecord(entry))
    .at(-1)?.update;
}

/** Whether only records lie between update `version` and the entry at `index`. */
function followsDirectly(list: Entry[], version: number, index: number): boolean {
  const at = list.findIndex((entry) => entry.update.version === version);
  return at >= 0 && at < index && list.slice(at + 1, index).every(isRecord);
}

/** The update a record says passed its verify window, if it says so. */
function verifiedBy(entry: Entry): number | undefined {
  const record = entry.record;
  if (record?.kind === "verdict" && record.result === "verified") return record.update;
  if (record?.kind === "rollback" && record.result === "rolled-back") return record.update;
  return entry.legacyMarkerOf;
}

/** Versions verified good and not un-marked since, newest first. */
export function verifiedGoodVersions(history: readonly UpdateRecord[]): number[] {
  const list = entries(history);
  const verified = new Set<number>();
  list.forEach((entry, index) => {
    const version = verifiedBy(entry);
    if (version !== undefined && followsDirectly(list, version, index)) verified.add(version);
    if (entry.record?.kind === "unmark") verified.delete(entry.record.version);
  });
  return [...verified].sort((a, b) => b - a);
}

export interface RollbackTarget {
  version: number;
  commit: string;
  branch?: string;
  /** The update's config, legacy marker key removed. */
  config: StackConfig;
  message: string;
}

/** A verified-good version that cannot be rolled back to, and why. */
export interface SkippedVersion {
  version: number;
  reason: string;
}

export type RollbackDecision =
  | { kind: "target"; target: RollbackTarget; skipped: SkippedVersion[] }
  | { kind: "impossible"; reason: string };

/**
 * Picks the update to roll back to: `to`, or the newest verified-good version that can be
 * rebuilt, falling back past those that cannot (each listed with its reason): ran from a dirty
 * tree, records no commit, its commit is not in the repository, or a secret in its config cannot
 * be decrypted with the stack's current key.
 */
export function chooseRollbackTarget(
  stack: string,
  history: readonly UpdateRecord[],
  options: { to?: number; commitExists: (commit: string) => boolean },
): RollbackDecision {
  const impossible = (reason: string): RollbackDecision => ({ kind: "impossible", reason });
  if (!newestUpdate(history)) return impossible(`stack ${stack} has no updates in its history`);
  const newest = [...history].sort((a, b) => b.version - a.version)[0];
  if (newest.result === "in-progress") {
    return impossible(
      `update ${newest.version} of stack ${stack} is still in progress; wait for it to finish (cascade never cancels another process's update)`,
    );
  }
  const verified = verifiedGoodVersions(history);
  if (verified.length === 0) {
    return impossible(
      `stack ${stack} has no verified-good update in its history ("cascade deploy" records one when its verify window passes), so there is nothing known to be good to roll back to`,
    );
  }
  if (options.to !== undefined && !verified.includes(options.to)) {
    return impossible(
      `version ${options.to} of stack ${stack} is not verified good; verified-good versions: ${verified.join(", ")} (pass one of them to --to)`,
    );
  }
  const skipped: SkippedVersion[] = [];
  for (const version of options.to === undefined ? verified : [options.to]) {
    const update = history.find((entry) => entry.version === version);
    const problem = update
      ? unusable(stack, update, options.commitExists)
      : `update ${version} is no longer in the history of stack ${stack}`;
    if (problem === undefined) return { kind: "target", target: targetOf(update!), skipped };
    skipped.push({ version, reason: problem });
  }
  if (options.to !== undefined) return impossible(skipped[0].reason);
  return impossible(
    `no verified-good version of stack ${stack} can be rebuilt: ${skipped.map((s) => s.reason).join("; ")}`,
  );
}

/** Why `update` cannot be rebuilt and deployed again, or undefined when it can. */
function unusable(
  stack: string,
  update: UpdateRecord,
  commitExists: (commit: string) => boolean,
): string | undefined {
  const { version } = update;
  if (update.result !== "succeeded") {
    return `update ${version} of stack ${stack} did not succeed (${update.result})`;
  }
  const commit = update.environment["git.head"];
  if (!commit) {
    return `update ${version} of stack ${stack} records no git commit (environment git.head): it was not run from a git checkout, so its program cannot be rebuilt`;
  }
  const madeByRollback = update.message.startsWith(ROLLBACK_MESSAGE_PREFIX);
  if (update.environment["git.dirty"] === "true" && !madeByRollback) {
    return `update ${version} of stack ${stack} was run from a working tree with uncommitted changes (git.dirty=true), so commit ${commit.slice(0, 12)} is not the program it ran`;
  }
  if (!commitExists(commit)) {
    return `commit ${commit} of version ${version} is not in this repository; fetch it (git fetch origin)`;
  }
  const undecryptable = Object.entries(update.config)
    .filter(([, entry]) => entry.secret && entry.value === UNDECRYPTABLE)
    .map(([key]) => key);
  if (undecryptable.length > 0) {
    return `the config of version ${version} holds secret ${undecryptable.join(", ")}, which the stack's current secrets key cannot decrypt (the passphrase or secrets provider changed since); cascade does not deploy "${UNDECRYPTABLE}" in its place`;
  }
  return undefined;
}

function targetOf(update: UpdateRecord): RollbackTarget {
  return {
    version: update.version,
    commit: update.environment["git.head"],
    branch: update.environment["git.headName"],
    config: Object.fromEntries(
      Object.entries(update.config).filter(([key]) => key !== LEGACY_MARKER_KEY),
    ),
    message: update.message,
  };
}

/** Keys whose values differ between two configs (added, removed or changed). */
export function configDifferences(a: StackConfig, b: StackConfig): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys]
    .filter((key) => a[key]?.value !== b[key]?.value || !!a[key]?.secret !== !!b[key]?.secret)
    .sort();
}

/** A run holding the stack. */
export interface LeaseHolder {
  run: string;
  command: "deploy" | "rollback";
  owner: Owner;
  untilMs: number;
}

/**
 * The run holding the stack at `nowMs`, if any. Leases are taken in history order, which the
 * engine's lock makes total: a lease recorded while an earlier one still holds is void (that run
 * gives up), so of two runs racing for the stack exactly the first one gets it. A lease ends with
 * its run's final record, a release record naming its run, or its deadline.
 */
export function leaseHolder(
  history: readonly UpdateRecord[],
  nowMs: number,
): LeaseHolder | undefined {
  let holder: LeaseHolder | undefined;
  for (const { update, record } of entries(history)) {
    const at = (update.startTime ?? update.endTime)?.getTime() ?? nowMs;
    if (holder && at > holder.untilMs) holder = undefined;
    if (!record) continue;
    if (record.kind === "lease") {
      if (!holder) holder = { ...record };
    } else if (
      holder &&
      ((record.run === holder.run && record.final) ||
        (record.kind === "release" && record.released === holder.run))
    ) {
      holder = undefined;
    }
  }
  return holder && nowMs <= holder.untilMs ? holder : undefined;
}

export type Status =
  | "verified"
  | "failed verification"
  | "rolled back"
  | "unverified"
  | "superseded"
  | "interrupted"
  | "engine failed"
  | "unmarked"
  | "rollback"
  | "not verified"
  | "in progress";

/** One update of the stack as `cascade history` lists it. */
export interface UpdateStatus {
  version: number;
  kind: string;
  result: UpdateResultKind;
  startTime?: string;
  message: string;
  commit?: string;
  dirty: boolean;
  run?: string;
  status: Status;
  reason: string;
  /** The verify window that decided it. */
  polls?: number;
  measurements?: WindowMeasurements;
  /** The rollback its failure started. */
  rollback?: {
    target?: number;
    result: string;
    reason: string;
    update?: number;
    stages: StageRecord[];
  };
}

export interface Ledger {
  /** Newest first; cascade's own records are folded into the updates they are about. */
  updates: UpdateStatus[];
  verifiedGood: number[];
  lease?: LeaseHolder;
}

/** The stack's history as cascade reads it, for `cascade history`. */
export function stackLedger(history: readonly UpdateRecord[], nowMs: number): Ledger {
  const list = entries(history);
  const statuses = new Map<number, UpdateStatus>();
  for (const entry of list) {
    if (isRecord(entry)) continue;
    statuses.set(entry.update.version, baseStatus(entry.update));
  }
  list.forEach((entry, index) => applyRecord(list, index, entry, statuses));
  return {
    updates: [...statuses.values()].sort((a, b) => b.version - a.version),
    verifiedGood: verifiedGoodVersions(history),
    lease: leaseHolder(history, nowMs),
  };
}

function baseStatus(update: UpdateRecord): UpdateStatus {
  const madeByRollback = update.message.startsWith(ROLLBACK_MESSAGE_PREFIX);
  const status: Status =
    update.result === "in-progress" ? "in progress" : madeByRollback ? "rollback" : "not verified";
  return {
    version: update.version,
    kind: update.kind,
    result: update.result,
    startTime: update.startTime?.toISOString(),
    message: update.message,
    commit: update.environment["git.head"],
    dirty: update.environment["git.dirty"] === "true",
    run: runOfUpdate(update.message),
    status,
    reason:
      status === "in progress"
        ? "the update is running"
        : status === "rollback"
          ? "an update of a rollback"
          : update.result === "failed"
            ? "the update failed; no cascade verify window decided about it"
            : "no cascade verify window decided about it (a plain pulumi up, or a run that was killed)",
  };
}

function applyRecord(
  list: Entry[],
  index: number,
  entry: Entry,
  statuses: Map<number, UpdateStatus>,
): void {
  const record = entry.record;
  if (entry.legacyMarkerOf !== undefined) {
    const status = statuses.get(entry.legacyMarkerOf);
    if (status && followsDirectly(list, entry.legacyMarkerOf, index)) {
      Object.assign(status, {
        status: "verified",
        reason: `marked verified-good by update ${entry.update.version} (before cascade kept a record)`,
      });
    }
    return;
  }
  if (record?.kind === "verdict") {
    const status = statuses.get(record.update);
    if (!status) return;
    const valid = record.result !== "verified" || followsDirectly(list, record.update, index);
    Object.assign(status, {
      status: valid ? verdictStatus[record.result] : "superseded",
      reason: valid
        ? record.reason
        : `verified by run ${record.run}, but another update came before the record`,
      polls: record.polls,
      measurements: record.measurements,
    });
  } else if (record?.kind === "rollback") {
    const from = record.from === undefined ? undefined : statuses.get(record.from);
    const summary = {
      target: record.target,
      result: record.result,
      reason: record.reason,
      update: record.update,
      stages: record.stages,
    };
    if (from) {
      from.rollback = summary;
      if (record.result === "rolled-back") {
        from.status = "rolled back";
        from.reason = `${from.reason}; rolled back to version ${record.target} (update ${record.update})`;
      }
    }
    const restored = record.update === undefined ? undefined : statuses.get(record.update);
    if (
      restored &&
      record.result === "rolled-back" &&
      followsDirectly(list, record.update!, index)
    ) {
      Object.assign(restored, {
        status: "verified",
        reason: `rollback to version ${record.target} verified good`,
        polls: record.polls,
        measurements: record.measurements,
      });
    } else if (restored && record.result !== "rolled-back") {
      restored.reason = `rollback to version ${record.target} ${record.result}: ${record.reason}`;
    }
  } else if (record?.kind === "unmark") {
    const status = statuses.get(record.version);
    if (status) Object.assign(status, { status: "unmarked", reason: record.reason });
  }
}

const verdictStatus: Record<Extract<RolloutRecord, { kind: "verdict" }>["result"], Status> = {
  verified: "verified",
  failed: "failed verification",
  unverified: "unverified",
  superseded: "superseded",
  interrupted: "interrupted",
  "engine-failed": "engine failed",
};
