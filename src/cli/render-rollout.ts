import type {
  AddressChange,
  DeployEvent,
  Refusal,
  RollbackEvent,
  RolloutEvent,
  RunEvent,
  StageEvent,
  VerifyEvent,
} from "../rollout/events";
import { noRouterReason } from "../rollout/rollback";
import type { ChangeSummary } from "../rollout/workspace";

/** The operator's text for one event of `cascade deploy` or `cascade rollback`. */
export function renderRolloutEvent(event: RolloutEvent): string {
  if ("stage" in event) return renderStage(event);
  switch (event.kind) {
    case "verify-started":
    case "verify-poll":
    case "metrics-written":
      return renderVerify(event);
    case "rollback-started":
    case "rollback-impossible":
    case "rollback-config-restored":
    case "version-read-by-this-code":
    case "rollback-declined":
    case "rollback-summary":
      return renderRollback(event);
    case "leftover-cleared":
    case "run-refused":
    case "stack-taken":
    case "recorded":
    case "record-failed":
    case "interrupted":
      return renderRun(event);
    default:
      return renderDeploy(event);
  }
}

/** "2 create, 1 update", or "no changes". */
export function summary(changes: ChangeSummary): string {
  const parts = Object.entries(changes)
    .filter(([op, count]) => count > 0 && op !== "same")
    .map(([op, count]) => `${count} ${op}`);
  return parts.length ? parts.join(", ") : "no changes";
}

function renderRun(event: RunEvent): string {
  switch (event.kind) {
    case "leftover-cleared":
      return `Cleared what an interrupted run left: ${event.what}.`;
    case "run-refused":
      return `cascade ${event.command} refused: ${refusal(event, event.stack)}\nStack ${event.stack} is left as it is.`;
    case "stack-taken":
      return `Stack ${event.stack} is held by this run (${event.run}) until its last record, ${new Date(event.untilMs).toISOString()} at the latest.`;
    case "recorded":
      return `  recorded in the stack's history: ${event.summary}`;
    case "record-failed":
      return `  could not record this in the stack's history (${event.error}); the record:\n${event.summary}`;
    case "interrupted":
      return `Interrupted during ${event.during}: ${event.state}.`;
  }
}

function refusal(reason: Refusal, stack: string): string {
  switch (reason.why) {
    case "dirty": {
      const stackFile = reason.files.find((file) => /^Pulumi\..+\.yaml$/.test(file));
      const hint = stackFile
        ? ` (${stackFile}: commit it; "pulumi stack init" writes its encryptionsalt there)`
        : "";
      return `the working tree has uncommitted changes in ${reason.files.join(", ")}${hint}. An update from it could never be rolled back to, since its commit is not the program it ran. Commit or stash them, or pass --allow-dirty to deploy anyway (that update is then never a rollback target).`;
    }
    case "busy": {
      const { holder } = reason;
      return `${holder.command} run ${holder.run} of ${holder.owner.user}@${holder.owner.host} (pid ${holder.owner.pid}) holds stack ${stack} until ${new Date(holder.untilMs).toISOString()} at the latest (one deploy with its verify window, or rollback, per stack at a time). Wait for it; "cascade history --stack ${stack}" shows it.`;
    }
    case "in-flight":
      return `another process is updating stack ${stack}: ${reason.updates
        .map((u) => (u.where ? `${u.description} (${u.where})` : u.description))
        .join(
          "; ",
        )}. cascade never removes another process's lock; wait for that update to finish.`;
  }
}

function renderDeploy(event: DeployEvent): string {
  switch (event.kind) {
    case "previewing":
      return "deploy" in event.of
        ? `Previewing stack ${event.of.deploy}:`
        : `Preview of the rollback to version ${event.of.rollbackTo}:`;
    case "preview":
      return `${event.diff.trimEnd()}\n  changes: ${summary(event.changes)}`;
    case "deploy-declined":
      return `Deploy cancelled; stack ${event.stack} is left as it is.`;
    case "dirty-allowed":
      return `Deploying from a working tree with uncommitted changes (--allow-dirty: ${event.files.join(", ")}); this update will never be a rollback target.`;
    case "update-applied":
      return `Update ${event.version} applied (${summary(event.changes)}).`;
    case "update-failed":
      return `Update ${event.version} FAILED: ${event.failure}
  verifying what the stack is left with; it will not be recorded verified-good.`;
    case "update-error": {
      const what = event.locked
        ? `during ${event.during}, the engine found the stack locked by another update`
        : event.version === undefined
          ? `the engine failed during ${event.during}`
          : `update ${event.version} failed before changing anything`;
      return `Deploy stopped: ${what}:\n  ${event.error}\nNothing was changed; no verify window, no rollback. Stack ${event.stack} is left as it is.`;
    }
    case "verify-window":
      return `Verify window: ${event.seconds}s, ${event.agents} agents, conditions: ${event.conditions
        .map((condition) => `${condition.kind} -> ${condition.action}`)
        .join("; ")}`;
    case "failed-update-not-marked":
      return `Update ${event.version} failed, although every agent passed verification; it is not recorded verified-good. Fix the failure and run "cascade deploy --stack ${event.stack}" again, or "cascade rollback --stack ${event.stack}".`;
    case "update-verified":
      return `Update ${event.version} verified good over ${event.polls} polls.`;
    case "update-unverified":
      return `Update ${event.version} is NOT verified: ${event.reason}. No rollback was started and it is not recorded verified-good; check the agents' health, then run "cascade deploy --stack ${event.stack}" again or "cascade rollback --stack ${event.stack}".`;
    case "update-superseded":
      return `Update ${event.version} was followed by update ${event.by} during its verify window: the window did not watch update ${event.version} alone, so nothing is recorded verified-good and nothing is rolled back. "cascade history --stack ${event.stack}" shows both.`;
    case "rollback-triggered": {
      const { trigger } = event;
      const failing = trigger.failingAgents.length
        ? ` (failing: ${trigger.failingAgents.join(", ")})`
        : "";
      return `Rollback triggered after update ${event.version}: ${trigger.reason} -> ${trigger.action}${failing}`;
    }
  }
}

function renderRollback(event: RollbackEvent): string {
  switch (event.kind) {
    case "rollback-started": {
      const { target } = event;
      const branch = target.branch ? `, ${target.branch}` : "";
      const reason = event.reason ? `: ${event.reason}` : "";
      const skipped = event.skipped.map((s) => `\n  passed over version ${s.version}: ${s.reason}`);
      return `Rolling back stack ${event.stack} to version ${target.version} (git ${target.commit.slice(0, 12)}${branch}), ${event.mode}${reason}${skipped.join("")}`;
    }
    case "rollback-impossible":
      return `Rollback impossible: ${event.reason}.\nStack ${event.stack} is left as it is.`;
    case "rollback-config-restored":
      return `  config of version ${event.version} differs from Pulumi.${event.stack}.yaml at its commit in ${event.keys.join(", ")}; using the config history recorded`;
    case "version-read-by-this-code":
      return `  version ${event.version} predates "cascade rollout-spec": its settings and fleet are read by this checkout's code`;
    case "rollback-declined":
      return `Rollback cancelled before ${event.before}; stack ${event.stack} is left as it is.`;
    case "rollback-summary": {
      const stages = event.stages.map(
        (s, i) =>
          `  [${i + 1}/${event.stages.length}] ${s.stage}: ${s.status}${s.detail ? `: ${s.detail}` : ""}`,
      );
      return `Rollback of stack ${event.stack} to version ${event.target}: ${event.result}\n${stages.join("\n")}`;
    }
  }
}

function renderStage(event: StageEvent): string {
  const label = `[${event.stage.index}/${event.stage.count}] ${event.stage.name}`;
  switch (event.kind) {
    case "stage-started":
      return `${label}: started`;
    case "paused": {
      const waited =
        event.waitedMs > 0
          ? `waited ${Math.round(event.waitedMs / 1000)}s for another process's update to finish`
          : "no update in flight";
      return `${label}: done: ${event.windowStopped ? "verify window stopped; " : ""}stack held by run ${event.run}; ${waited}`;
    }
    case "route-skipped": {
      const changes = event.changes.map((change) => `    ${addressChange(change, event.version)}`);
      return `${label}: skipped: ${noRouterReason(event.site)}; ${event.unchanged} agent(s) keep their address${changes.length ? `, changes:\n${changes.join("\n")}` : ""}`;
    }
    case "terminate-skipped":
      return event.unhealthy.length === 0
        ? `${label}: skipped: no agent is known to be unhealthy (no verify window ran)`
        : `${label}: skipped: no resources of ${event.unhealthy.join(", ")} in the stack's state`;
    case "terminated":
      return `${label}: done: update ${event.update} put ${event.agents.join(", ")} back on version ${event.version} (${summary(event.changes)})`;
    case "wave-skipped":
      return `${label}: wave ${event.wave}: no resources to roll back`;
    case "wave-applied":
      return `${label}: wave ${event.wave} (${event.agents.join(", ")}): update ${event.update} (${summary(event.changes)}); verifying`;
    case "wave-verdict":
      return `${label}: wave ${event.wave}: ${event.verdict.kind === "verified" ? "verified" : `not verified (${event.verdict.reason}); continuing`}`;
    case "escalated":
      return `${label}: escalating to an immediate rollback: ${event.reason}`;
    case "restore-applied":
      return `${label}: update ${event.update} applied version ${event.version} (${summary(event.changes)}); verifying`;
    case "restore-unverified":
      return `${label}: failed: version ${event.version} did not pass verification either (${event.reason}); the stack is at update ${event.update}, not recorded verified-good. Inspect the agents, or roll back further with --to.`;
    case "restored":
      return `${label}: done: stack ${event.stack} is back on version ${event.version}'s program as update ${event.update}, verified good`;
    case "stage-failed":
      return `${label}: failed: ${event.reason}`;
  }
}

function addressChange(change: AddressChange, version: number): string {
  switch (change.kind) {
    case "returns":
      return `${change.agent}: comes back on health port ${change.port}`;
    case "moves":
      return `${change.agent}: ${change.from} -> health port ${change.port}`;
    case "released":
      return `${change.agent}: not in version ${version}; its name and ports are released`;
  }
}

function renderVerify(event: VerifyEvent): string {
  switch (event.kind) {
    case "verify-started": {
      const source =
        event.source === "kubernetes-api" ? "readiness from the Kubernetes API" : "health URLs";
      const errors = event.errorRate === "prometheus" ? ", error rate from Prometheus" : "";
      return `Verifying ${event.label}: ${event.agents} agents, ${event.windowSeconds}s window${event.overridden ? " (--verify-window)" : ""}, ${source}${errors}`;
    }
    case "verify-poll": {
      const passing = event.poll.results.filter(
        (result) => result.outcome === "healthy" || result.outcome === "degraded",
      ).length;
      const action = event.verdict.kind === "rollback" ? ` -> ${event.verdict.trigger.action}` : "";
      return `  +${Math.round(event.sinceDeployMs / 1000)}s: ${passing}/${event.agents} healthy or degraded${action}`;
    }
    case "metrics-written":
      return `  startup metrics written to ${event.file} (Prometheus text format)`;
  }
}
