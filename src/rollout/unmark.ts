import type { RolloutContext } from "./context";
import { verifiedGoodVersions } from "./history";
import { writeRecord } from "./stack-lease";

export type UnmarkOutcome =
  | { kind: "unmarked"; version: number }
  /** The version is not verified good (any more): nothing is recorded. */
  | { kind: "not-verified"; version: number; verified: number[] }
  /** The engine could not write the record: the version is still a rollback target. */
  | { kind: "not-recorded"; version: number; error: string };

/**
 * Takes a version found bad after it was verified off the list of rollback targets, for good: a
 * record in the stack's history, with the reason. Changes no resource.
 */
export async function unmarkVersion(
  context: RolloutContext,
  version: number,
  reason: string,
): Promise<UnmarkOutcome> {
  const verified = verifiedGoodVersions(await context.workspace.history());
  if (!verified.includes(version)) return { kind: "not-verified", version, verified };
  const written = await writeRecord(context, `version ${version} un-marked: ${reason}`, {
    kind: "unmark",
    run: context.run,
    final: false,
    version,
    reason,
  });
  if (!written.written) return { kind: "not-recorded", version, error: written.error.message };
  return { kind: "unmarked", version };
}
