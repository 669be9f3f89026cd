import type { Fleet } from "../fleet/model";
import type { RolloutContext } from "./context";
import { recordVerifiedGood } from "./marker";
import type { Verdict } from "./policy";
import { runRollback, summary, type RollbackOutcome } from "./rollback";
import { verifyTargets } from "./targets";

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
  const result = await workspace.up({ message: `cascade deploy ${stack}` });
  const ended = context.clock.now();
  const history = await workspace.history();
  const commit = history.find((update) => update.version === result.version)?.environment[
    "git.head"
  ];
  print(`Update ${result.version} applied (${summary(result.changeSummary)}).`);
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
