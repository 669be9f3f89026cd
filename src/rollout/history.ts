import type { StackConfig, UpdateRecord } from "./workspace";

/**
 * The verified-good marker, and how a rollback target is found in `stack history`. Pure.
 *
 * Marker: after update N passes its verify window, `cascade deploy` sets the config key
 * `cascade:verifiedGood` to "N" and runs a no-op `up` with the message
 * "cascade: verified-good version N". That marker update carries both in history (message and
 * config); the stack file is then restored byte for byte, so the working tree stays clean.
 * A stack tag was not used: tags belong to the stack, not to an update, and history does not
 * carry them.
 */

export const MARKER_KEY = "cascade:verifiedGood";
export const MARKER_MESSAGE_PREFIX = "cascade: verified-good version ";
export const ROLLBACK_MESSAGE_PREFIX = "cascade: rollback";

export function markerMessage(version: number, commit?: string): string {
  return `${MARKER_MESSAGE_PREFIX}${version}${commit ? ` (git ${commit.slice(0, 12)})` : ""}`;
}

/** Versions marked verified-good, newest first. */
export function verifiedGoodVersions(history: readonly UpdateRecord[]): number[] {
  const versions: number[] = [];
  for (const update of [...history].sort((a, b) => b.version - a.version)) {
    if (update.result !== "succeeded" || !update.message.startsWith(MARKER_MESSAGE_PREFIX))
      continue;
    const marked = Number(update.config[MARKER_KEY]?.value);
    if (Number.isInteger(marked) && marked > 0 && !versions.includes(marked)) versions.push(marked);
  }
  return versions;
}

export interface RollbackTarget {
  version: number;
  commit: string;
  branch?: string;
  /** The update's config, marker removed. */
  config: StackConfig;
  message: string;
}

export type RollbackDecision = { ok: true; target: RollbackTarget } | { ok: false; reason: string };

/** Picks the update to roll back to: `to`, or the newest verified-good one. */
export function chooseRollbackTarget(
  stack: string,
  history: readonly UpdateRecord[],
  to?: number,
): RollbackDecision {
  if (history.length === 0) {
    return { ok: false, reason: `stack ${stack} has no updates in its history` };
  }
  const newest = [...history].sort((a, b) => b.version - a.version)[0];
  if (newest.result === "in-progress") {
    return {
      ok: false,
      reason: `update ${newest.version} of stack ${stack} is still in progress; wait for it to finish, or run "pulumi cancel --stack ${stack}" if it is stuck`,
    };
  }
  const verified = verifiedGoodVersions(history);
  if (verified.length === 0) {
    return {
      ok: false,
      reason: `stack ${stack} has no verified-good update in its history ("cascade deploy" marks one when its verify window passes), so there is nothing known to be good to roll back to`,
    };
  }
  const version = to ?? verified[0];
  if (!verified.includes(version)) {
    return {
      ok: false,
      reason: `version ${version} of stack ${stack} was never verified good; verified-good versions: ${verified.join(", ")} (pass one of them to --to)`,
    };
  }
  const update = history.find((entry) => entry.version === version);
  if (!update) {
    return { ok: false, reason: `update ${version} is no longer in the history of stack ${stack}` };
  }
  if (update.result !== "succeeded") {
    return {
      ok: false,
      reason: `update ${version} of stack ${stack} did not succeed (${update.result})`,
    };
  }
  const commit = update.environment["git.head"];
  if (!commit) {
    return {
      ok: false,
      reason: `update ${version} of stack ${stack} records no git commit (environment git.head): it was not run from a git checkout, so its program cannot be rebuilt`,
    };
  }
  const madeByRollback = update.message.startsWith(ROLLBACK_MESSAGE_PREFIX);
  if (update.environment["git.dirty"] === "true" && !madeByRollback) {
    return {
      ok: false,
      reason: `update ${version} of stack ${stack} was run from a working tree with uncommitted changes (git.dirty=true), so commit ${commit.slice(0, 12)} is not the program it ran; choose another version with --to`,
    };
  }
  const config = Object.fromEntries(
    Object.entries(update.config).filter(([key]) => key !== MARKER_KEY),
  );
  return {
    ok: true,
    target: {
      version,
      commit,
      branch: update.environment["git.headName"],
      config,
      message: update.message,
    },
  };
}

/** Keys whose values differ between two configs (added, removed or changed). */
export function configDifferences(a: StackConfig, b: StackConfig): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys]
    .filter((key) => a[key]?.value !== b[key]?.value || !!a[key]?.secret !== !!b[key]?.secret)
    .sort();
}
