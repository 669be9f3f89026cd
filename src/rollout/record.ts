import type { RollbackStage } from "../fleet/model";
import type { Trigger, WindowMeasurements } from "./policy";

/**
 * cascade's record of what it decided and why, kept in the stack's own history: each record is
 * one history entry that changes no resource (StackWorkspace.appendRecord: a refresh of the
 * stack's root resource alone), whose message is a summary line for `pulumi stack history` and
 * the record itself as JSON:
 *
 *   cascade: update 12 verified good over 31 polls
 *
 *   cascade-record/1 {"kind":"verdict","run":"3f2a1b","update":12,...}
 *
 * Pure: encoding and decoding only. history.ts reads records back in their place among the
 * updates; `run` ties the records and updates of one cascade run together (its updates carry
 * "(run <id>)" in their messages).
 */

export const RECORD_MARK = "cascade-record/1 ";

/** Who runs a cascade command: enough to tell whether that process is still alive. */
export interface Owner {
  user: string;
  host: string;
  pid: number;
  /**
   * When that process started (`<boot id>/<ticks>`): its pid is another process's after it ends
   * or the host reboots. Absent from records of older cascades, and where /proc does not tell.
   */
  start?: string;
}

/** A rollback stage as it ended. */
export interface StageRecord {
  stage: RollbackStage;
  status: "done" | "skipped" | "failed" | "not reached";
  detail: string;
}

export type VerdictResult =
  /** The window passed: the update is verified good (a rollback target from now on). */
  | "verified"
  /** A failure condition held: `trigger` says which; a rollback follows (its own record). */
  | "failed"
  /** Not enough observations, or the update itself failed while every agent passed. */
  | "unverified"
  /** Another update came after this one before the window ended: nothing decided about it. */
  | "superseded"
  /** The run was interrupted during the window. */
  | "interrupted"
  /** The engine failed the update before it changed anything (compile error, ...): no window. */
  | "engine-failed";

export type RolloutRecord =
  /** A deploy or rollback run takes the stack; it ends with a record of the same run marked `final`. */
  | {
      kind: "lease";
      run: string;
      command: "deploy" | "rollback";
      owner: Owner;
      untilMs: number;
    }
  | {
      kind: "verdict";
      run: string;
      final: boolean;
      update: number;
      commit?: string;
      dirty: boolean;
      result: VerdictResult;
      reason: string;
      polls?: number;
      measurements?: WindowMeasurements;
      trigger?: Pick<Trigger, "condition" | "action" | "reason" | "failingAgents">;
      /** The engine's error, when the update failed. */
      engineFailure?: string;
    }
  | {
      kind: "rollback";
      run: string;
      final: boolean;
      /** The update whose failed verification started it, when a deploy did. */
      from?: number;
      target?: number;
      mode: "immediate" | "gradual";
      reason: string;
      result: "rolled-back" | "failed" | "unverified" | "declined" | "impossible" | "interrupted";
      stages: StageRecord[];
      /** The update that put version `target` back, and what its verify window measured. */
      update?: number;
      polls?: number;
      measurements?: WindowMeasurements;
    }
  /** A version found bad after it was verified: never a rollback target again. */
  | { kind: "unmark"; run: string; final: boolean; version: number; reason: string }
  /** Ends the lease of a run whose process is gone (interrupted, killed). */
  | { kind: "release"; run: string; final: boolean; released: string; reason: string };

export function encodeRecord(summary: string, record: RolloutRecord): string {
  return `cascade: ${summary}\n\n${RECORD_MARK}${JSON.stringify(record)}`;
}

/** The record in a history entry's message, or undefined when the entry is not one. */
export function decodeRecord(message: string): RolloutRecord | undefined {
  const at = message.lastIndexOf(`\n${RECORD_MARK}`);
  if (at < 0) return undefined;
  try {
    const record = JSON.parse(message.slice(at + 1 + RECORD_MARK.length)) as RolloutRecord;
    return typeof record?.kind === "string" && typeof record.run === "string" ? record : undefined;
  } catch {
    return undefined;
  }
}

/** The run an update belongs to, from the "(run <id>)" cascade puts in its message. */
export function runOfUpdate(message: string): string | undefined {
  return /\(run ([0-9a-f]+)\)/.exec(message)?.[1];
}

export function withRun(message: string, run: string): string {
  return `${message} (run ${run})`;
}
