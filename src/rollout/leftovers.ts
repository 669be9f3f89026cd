import type { RolloutContext } from "./context";
import { LEGACY_MARKER_KEY, leaseHolder } from "./history";
import { writeRecord } from "./stack-lease";

/**
 * What an interrupted run (killed before it could put things in order) leaves behind, found and
 * cleared by the next deploy or rollback, each said as it is cleared. Only leftovers of
 * processes known to be gone are touched: a lease or worktree of a live process, or of a process
 * on another host, is someone else's and stays.
 *
 * - the stack's lease, held by a process of this host that is gone: released by a record;
 * - rollback worktrees registered in the repository whose process is gone: removed;
 * - `cascade:verifiedGood` in the stack file: the marker config of cascade before the record
 *   existed, left when it was killed between setting and restoring it; removed.
 */
export async function clearLeftovers(context: RolloutContext): Promise<void> {
  const { stack, isAlive } = context;
  const holder = leaseHolder(await context.workspace.history(), context.clock.now());
  if (holder && holder.run !== context.run && isAlive(holder.owner) === false) {
    const what = `the lease of ${holder.command} run ${holder.run} (pid ${holder.owner.pid} on ${holder.owner.host}, which is gone)`;
    await writeRecord(context, `released ${what}`, {
      kind: "release",
      run: context.run,
      final: false,
      released: holder.run,
      reason: `its process (pid ${holder.owner.pid} on ${holder.owner.host}) is gone: the run was interrupted`,
    });
    context.emit({ kind: "leftover-cleared", what });
  }
  for (const worktree of context.git.rollbackWorktrees()) {
    if (!worktree.owner || isAlive(worktree.owner) !== false) continue;
    context.git.removeWorktree(worktree.dir);
    context.emit({
      kind: "leftover-cleared",
      what: `rollback worktree ${worktree.dir} of pid ${worktree.owner.pid}, which is gone`,
    });
  }
  const config = await context.workspace.getAllConfig();
  if (LEGACY_MARKER_KEY in config) {
    await context.workspace.removeConfig(LEGACY_MARKER_KEY);
    context.emit({
      kind: "leftover-cleared",
      what: `${LEGACY_MARKER_KEY} in Pulumi.${stack}.yaml (a marker of an interrupted run)`,
    });
  }
}
