import type { FailureCondition, RollbackStage } from "../fleet/model";
import type { LeaseHolder, RollbackTarget, SkippedVersion } from "./history";
import type { Poll, Trigger, Verdict } from "./policy";
import type { StageRecord } from "./record";
import type { StackSite } from "./version";
import type { ChangeSummary, UpdateInFlight } from "./workspace";

/**
 * What deploy and rollback report as they go, as data: src/cli/render-rollout.ts turns each
 * event into the operator's text, and tests read the events themselves.
 */
export type RolloutEvent = RunEvent | DeployEvent | RollbackEvent | StageEvent | VerifyEvent;

/** Why a run does not start: nothing is changed. */
export type Refusal =
  /** The working tree has uncommitted changes: its update could never be rolled back to. */
  | { why: "dirty"; files: string[] }
  /** Another cascade run holds the stack (its deploy or rollback is not over). */
  | { why: "busy"; holder: LeaseHolder }
  /** Another process is updating the stack (the engine's lock). */
  | { why: "in-flight"; updates: UpdateInFlight[] };

export type RunEvent =
  /** Something an interrupted run left behind, found and cleared. */
  | { kind: "leftover-cleared"; what: string }
  | ({ kind: "run-refused"; stack: string; command: "deploy" | "rollback" } & Refusal)
  /** The stack is this run's until its last record, or `untilMs` at the latest. */
  | { kind: "stack-taken"; stack: string; run: string; untilMs: number }
  /** A decision written to the stack's history. */
  | { kind: "recorded"; summary: string }
  /** The record could not be written (the engine's error): it is printed instead. */
  | { kind: "record-failed"; summary: string; error: string }
  /** SIGINT or SIGTERM: what the run was doing, and what it left in order. */
  | { kind: "interrupted"; stack: string; during: string; state: string };

export type DeployEvent =
  /** A preview begins: of the deploy of this checkout, or of the rollback to a version. */
  | { kind: "previewing"; of: { deploy: string } | { rollbackTo: number } }
  | { kind: "preview"; diff: string; changes: ChangeSummary }
  | { kind: "deploy-declined"; stack: string }
  /** --allow-dirty: the update goes ahead, and can never be rolled back to. */
  | { kind: "dirty-allowed"; files: string[] }
  | { kind: "update-applied"; version: number; changes: ChangeSummary }
  /** The engine gave up part way; what the stack is left with is verified all the same. */
  | { kind: "update-failed"; version: number; failure: string }
  /** The engine refused or failed before the update changed anything: nothing was changed. */
  | {
      kind: "update-error";
      stack: string;
      /** What the run was doing: "the checks before the update", "the preview", "the update". */
      during: string;
      error: string;
      locked: boolean;
      /** The failed update the engine recorded, if it recorded one. */
      version?: number;
    }
  | { kind: "verify-window"; seconds: number; agents: number; conditions: FailureCondition[] }
  | { kind: "update-verified"; version: number; polls: number }
  /** Every agent passed, but the update itself failed: it is not recorded verified-good. */
  | { kind: "failed-update-not-marked"; stack: string; version: number }
  | { kind: "update-unverified"; stack: string; version: number; reason: string }
  /** Another update came after this one during its window: no verdict is recorded for it. */
  | { kind: "update-superseded"; stack: string; version: number; by: number }
  | { kind: "rollback-triggered"; version: number; trigger: Trigger };

export type RollbackEvent =
  | {
      kind: "rollback-started";
      stack: string;
      target: RollbackTarget;
      mode: "immediate" | "gradual";
      reason?: string;
      /** Newer verified-good versions that cannot be rebuilt, passed over. */
      skipped: SkippedVersion[];
    }
  | { kind: "rollback-impossible"; stack: string; reason: string }
  /** The version's recorded config differs from its commit's stack file in these keys. */
  | { kind: "rollback-config-restored"; stack: string; version: number; keys: string[] }
  /** The version predates `cascade rollout-spec`: this checkout's code read its fleet. */
  | { kind: "version-read-by-this-code"; version: number }
  | { kind: "rollback-declined"; stack: string; before: RollbackStage }
  /** How far the rollback got: every stage as it ended. */
  | {
      kind: "rollback-summary";
      stack: string;
      target: number;
      result: "rolled-back" | "failed" | "unverified" | "declined" | "interrupted";
      stages: StageRecord[];
    };

/** Where a stage sits in the policy's list, for "[2/4] route_traffic_to_old". */
export interface StageRef {
  index: number;
  count: number;
  name: RollbackStage;
}

/** An agent whose address changes with the rollback. */
export type AddressChange =
  | { agent: string; kind: "returns"; port: number }
  | { agent: string; kind: "moves"; from: string; port: number }
  | { agent: string; kind: "released" };

export type StageEvent = { stage: StageRef } & (
  | { kind: "stage-started" }
  | {
      kind: "paused";
      /** The run holding the stack: no other cascade run starts meanwhile. */
      run: string;
      /** How long an update of another process kept the stack before it finished. */
      waitedMs: number;
      windowStopped: boolean;
    }
  /** Nothing routes traffic in front of the agents: where it goes, and what changes. */
  | {
      kind: "route-skipped";
      version: number;
      site: StackSite;
      unchanged: number;
      changes: AddressChange[];
    }
  | { kind: "terminate-skipped"; unhealthy: string[] }
  | {
      kind: "terminated";
      update: number;
      agents: string[];
      version: number;
      changes: ChangeSummary;
    }
  | { kind: "wave-skipped"; wave: number }
  | { kind: "wave-applied"; wave: number; agents: string[]; update: number; changes: ChangeSummary }
  | {
      kind: "wave-verdict";
      wave: number;
      verdict: Extract<Verdict, { kind: "verified" | "unverified" }>;
    }
  | { kind: "escalated"; reason: string }
  | { kind: "restore-applied"; update: number; version: number; changes: ChangeSummary }
  | { kind: "restore-unverified"; update: number; version: number; reason: string }
  | { kind: "restored"; stack: string; update: number; version: number }
  /** The stage did not complete: the rollback stops here. */
  | { kind: "stage-failed"; reason: string }
);

export type VerifyEvent =
  | {
      kind: "verify-started";
      label: string;
      agents: number;
      windowSeconds: number;
      /** The window comes from --verify-window, not the fleet's policy. */
      overridden: boolean;
      source: "kubernetes-api" | "health-urls";
      /** Where the error rate comes from besides the agents' own reports. */
      errorRate?: "prometheus";
    }
  | { kind: "verify-poll"; sinceDeployMs: number; agents: number; poll: Poll; verdict: Verdict }
  | { kind: "metrics-written"; file: string };
