import type { RolloutContext } from "./context";
import { MARKER_KEY, markerMessage } from "./history";
import type { StackWorkspace } from "./workspace";

/**
 * Records `version` as verified-good: config cascade:verifiedGood=<version> plus a no-op `up`
 * with the message "cascade: verified-good version <version>", so the marker update carries
 * both in `stack history`. The stack file is then put back as it was.
 * Returns the marker update's version.
 */
export async function recordVerifiedGood(
  context: Pick<RolloutContext, "guardStackFile" | "stack">,
  workspace: StackWorkspace,
  version: number,
  commit: string | undefined,
): Promise<number> {
  const restore = context.guardStackFile?.(workspace.workDir, context.stack);
  try {
    await workspace.setConfig(MARKER_KEY, { value: String(version) });
    const marker = await workspace.up({ message: markerMessage(version, commit) });
    return marker.version;
  } finally {
    try {
      await workspace.removeConfig(MARKER_KEY);
    } finally {
      restore?.();
    }
  }
}
