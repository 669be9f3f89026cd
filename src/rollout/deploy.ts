import type { Fleet } from "../fleet/model";
import type { RolloutContext } from "./context";
import { recordVerifiedGood } from "./marker";
import type { Verdict } from "./policy";
import { runRollback, summary, type RollbackOutcome } from "./rollback";
import { verifyTargets } from "./targets";
import type { UpOutcome } from "./workspace";

/**
 * `cascade deploy`: preview (diff shown) -> confirm -> up -> verify window -> verified-good
 * marker, or on a policy trigger the rollback stages (rollback.ts) to the last verified-good
 * version, immediate or gradual as the triggering condition's action says.
 */

export interface DeployRequest {
  /** The fleet of this checkout: its agents are verified, its policy applies. */
  fleet: Fleet;
  yes: boolean;
}

export type DeployOutcome =
  | { kind: "declined" }
  | { kind: "verified"; version: number; markerVersion: number }
  | { kind: "unverified"; version: number; reason: string }
  | { kind: "rolled-back"; version: number; verdict: Verdict; rollback: RollbackOutcome };

export async function runDeploy(
  context: RolloutContext,
  request: DeployRequest,
): Promise<DeployOutcome> {
  const { workspace, print, stack } = context;
  const policy = request.fleet.rollbackPolicy;

  print(`Previewing stack ${stack}:`);
  const preview = await workspace.preview({ message: `cascade deploy ${stack}` });
  print(preview.diff.trimEnd());
  print(`  changes: ${summary(preview.changeSummary)}`);
  if (!request.yes && !(await context.confirm(`Deploy these changes to stack ${stack}?`))) {
    print(`Deploy cancelled; stack ${stack} is left as it is.`);
    return { kind: "declined" };
  }

  const started = context.clock.now();
  let result: UpOutcome;
  let failure: string | undefined;
  try {
    result = await workspace.up({ message: `cascade deploy ${stack}` });
  } catch (error) {
    // The engine gave up (e.g. the Kubernetes provider's readiness await timed out): the host is
    // part way between the versions. Verify what it is left with, so the policy decides whether
    // to roll back; the failed update is never marked verified-good.
    failure = firstLines((error as Error).message);
    const failed = (await workspace.history())[0];
    result = {
      version: failed?.version ?? 0,
      changeSummary: {},
      outputs: await workspace.outputs(),
    };
  }
  const ended = context.clock.now();
  const history = await workspace.history();
  const commit = history.find((update) => update.version === result.version)?.environment[
    "git.head"
  ];
  if (failure === undefined) {
    print(`Update ${result.version} applied (${summary(result.changeSummary)}).`);
  } else {
    print(
      `Update ${result.version} FAILED: ${failure}
  verifying what the stack is left with; it will not be marked verified-good.`,
    );
  }
  print(
    `Verify window: ${policy.healthCheckWindowSeconds}s, ${request.fleet.agents.length} agents, conditions: ${policy.failureConditions
      .map((condition) => `${condition.kind} -> ${condition.action}`)
      .join("; ")}`,
  );

  const verified = await context.verify({
    targets: verifyTargets(request.fleet, result.outputs),
    policy,
    deployStartMs: started,
    deployEndMs: ended,
    label: `update ${result.version}`,
  });
  const verdict = verified.verdict;

  if (verdict.kind === "verified" && failure !== undefined) {
    print(
      `Update ${result.version} failed, although every agent passed verification; it is not marked verified-good. Fix the failure and run "cascade deploy --stack ${stack}" again, or "cascade rollback --stack ${stack}".`,
    );
    return { kind: "unverified", version: result.version, reason: `the update failed: ${failure}` };
  }
  if (verdict.kind === "verified") {
    const marker = await recordVerifiedGood(context, workspace, result.version, commit);
    print(
      `Update ${result.version} verified good over ${verdict.pollsInWindow} polls; recorded as marker update ${marker} ("cascade: verified-good version ${result.version}").`,
    );
    return { kind: "verified", version: result.version, markerVersion: marker };
  }
  if (verdict.kind === "unverified") {
    print(
      `Update ${result.version} is NOT verified: ${verdict.reason}. No rollback was started and it is not marked verified-good; check the agents' health URLs, then run "cascade deploy --stack ${stack}" again or "cascade rollback --stack ${stack}".`,
    );
    return { kind: "unverified", version: result.version, reason: verdict.reason };
  }

  const trigger = verdict.trigger;
  print(
    `Rollback triggered after update ${result.version}: ${trigger.reason} -> ${trigger.action}${trigger.failingAgents.length ? ` (failing: ${trigger.failingAgents.join(", ")})` : ""}`,
  );
  const rollback = await runRollback(context, {
    yes: request.yes,
    mode: trigger.action === "gradual_rollback" ? "gradual" : "immediate",
    policy,
    unhealthy: trigger.failingAgents,
    reason: trigger.reason,
  });
  return { kind: "rolled-back", version: result.version, verdict, rollback };
}

/** The gist of an engine error: its "error:" lines, else its first few non-empty lines. */
function firstLines(message: string, count = 6): string {
  const lines = message
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  const errors = lines.filter((line) => /\berror:/i.test(line));
  const chosen = errors.length > 0 ? errors : lines;
  return chosen.slice(0, count).join("\n  ") + (chosen.length > count ? "\n  ..." : "");
}
