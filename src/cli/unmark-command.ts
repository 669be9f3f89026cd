import { unmarkVersion } from "../rollout/unmark";
import { numberFlag, parseCommandLine, POSITIVE_INTEGER } from "./args";
import { EXIT, UsageError } from "./errors";
import { realRolloutContext } from "./rollout-context";

export const UNMARK_USAGE = `usage: cascade unmark --stack NAME --version VERSION --reason TEXT

Takes a version found bad after it was verified good off the list of rollback targets, for good:
a record in the stack's history (cascade history shows it "unmarked", with the reason). Changes
no resource. A rollback update that put that version's program back is a version of its own:
unmark it too if it is as bad.`;

export async function unmarkCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(
    argv,
    { stack: { type: "string" }, version: { type: "string" }, reason: { type: "string" } },
    UNMARK_USAGE,
  );
  if (!values.stack) throw new UsageError("--stack NAME is required", UNMARK_USAGE);
  const version = numberFlag(values.version, "--version", POSITIVE_INTEGER, UNMARK_USAGE);
  if (version === undefined) throw new UsageError("--version VERSION is required", UNMARK_USAGE);
  if (!values.reason?.trim()) throw new UsageError("--reason TEXT is required", UNMARK_USAGE);
  const context = await realRolloutContext({ stack: values.stack, yes: true }, UNMARK_USAGE);
  const outcome = await unmarkVersion(context, version, values.reason.trim());
  if (outcome.kind === "not-verified") {
    console.error(
      `cascade unmark: version ${version} of stack ${values.stack} is not verified good; verified-good versions: ${outcome.verified.join(", ") || "none"}`,
    );
    return EXIT.failed;
  }
  if (outcome.kind === "not-recorded") {
    console.error(
      `cascade unmark: the record could not be written (${outcome.error}); version ${version} of stack ${values.stack} is still a rollback target. Run the command again.`,
    );
    return EXIT.failed;
  }
  console.log(`Version ${version} of stack ${values.stack} is no longer a rollback target.`);
  return EXIT.ok;
}
