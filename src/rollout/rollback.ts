import type { RollbackPolicy, RollbackStage } from "../fleet/model";
import {
  DEFAULT_LOCK_WAIT_MS,
  RolloutInterrupted,
  throwIfInterrupted,
  type RolloutContext,
} from "./context";
import type { AddressChange, Refusal, StageRef } from "./events";
import { GitError, type Worktree } from "./git";
import {
  chooseRollbackTarget,
  configDifferences,
  newestUpdate,
  ROLLBACK_MESSAGE_PREFIX,
  type RollbackTarget,
} from "./history";
import { clearLeftovers } from "./leftovers";
import type { Verdict, WindowMeasurements } from "./policy";
import { withRun, type StageRecord } from "./record";
import { stackBusy, takeStack, writeRecord } from "./stack-lease";
import { deployedWaves, urnsOfAgents, verifyTargets } from "./targets";
import { VersionError, type StackSite, type VersionSpec } from "./version";
import { EngineError, type StackWorkspace } from "./workspace";

/**
 * Rolls a stack back to a verified-good version: the seed's rollback stages (§7.1), in the order
 * the policy lists them, each reported as it starts and as it ends (done, skipped or failed, with
 * why), then a summary of how far the rollback got, recorded in the stack's history.
 *
 * Before any stage: the version is chosen from `stack history` (history.ts: the newest verified
 * good one that can be rebuilt), its commit is checked out in a temporary git worktree, the
 * config the update ran with is put in that worktree's stack file, and the version's own code
 * says what it deploys (version.ts). Nothing on the host changes until the preview has been
 * shown and confirmed, which happens before the first stage that changes the host.
 *
 * - pause_new_deployment: the verify window has stopped and this run holds the stack (no other
 *   cascade run starts). An update of another process in flight (the engine's lock) is waited
 *   for, `lockWaitMs` at most (a minute); cascade never removes another process's lock.
 * - route_traffic_to_old: skipped, with the reason: nothing routes traffic in front of the
 *   agents. On Docker, clients reach an agent by its container name on the stack's network and by
 *   its host port; on Kubernetes, by its Service, which sends traffic to Ready pods only. Traffic
 *   moves to version V as V's containers or pods replace the new ones in the next stages; the
 *   stage lists the addresses that change.
 * - terminate_unhealthy_new: the agents that failed verification are put back first, with a
 *   targeted `up` of version V naming every resource of each (stack output `agents.<name>.urns`:
 *   container and image, or Deployment, Service, ConfigMap and PodDisruptionBudget); on Docker
 *   their containers are also replaced.
 * - restore_old_version: immediate: one `up` of version V, then the verify window. Gradual: wave
 *   by wave in reverse dependency order (last wave first), each a targeted `up` of that wave's
 *   resources followed by a verify window over that wave's agents; a wave that triggers the policy
 *   escalates to an immediate rollback of the rest. A final untargeted `up` converges the shared
 *   resources (network, monitoring) and is verified over the whole fleet.
 * On success the rollback's update is recorded verified good.
 */

export type RollbackMode = "immediate" | "gradual";

export interface RollbackRequest {
  to?: number;
  yes: boolean;
  mode: RollbackMode;
  /** The policy whose stage list is run; default the version's own. */
  policy?: RollbackPolicy;
  /** Agents that failed verification, when a verify window triggered the rollback. */
  unhealthy?: string[];
  /** Why the rollback runs, for the report. */
  reason?: string;
  /** The update whose failed verification started the rollback: a deploy's, which holds the stack. */
  from?: number;
}

export type RollbackOutcome =
  | { kind: "refused"; refusal: Refusal }
  | { kind: "impossible"; reason: string }
  | { kind: "declined" }
  | { kind: "rolled-back"; version: number; target: number }
  | { kind: "unverified"; version: number; target: number; reason: string }
  | { kind: "failed"; target: number; stage: RollbackStage; reason: string }
  | { kind: "interrupted"; target?: number };

const PAUSE_POLL_MS = 2_000;
/** How long the question before an automatic rollback waits for an answer before it goes ahead. */
export const AUTOMATIC_CONFIRM_MS = 60_000;
/** How long a rollback run by hand holds the stack at most, if its process dies. */
const ROLLBACK_LEASE_SECONDS = 3600;

const CHANGES_HOST: ReadonlySet<RollbackStage> = new Set([
  "terminate_unhealthy_new",
  "restore_old_version",
]);

export async function runRollback(
  context: RolloutContext,
  request: RollbackRequest,
): Promise<RollbackOutcome> {
  if (request.from === undefined) {
    // By hand: this run takes the stack (a deploy that triggers a rollback holds it already).
    try {
      await clearLeftovers(context);
      const refusal =
        (await stackBusy(context)) ??
        (await takeStack(context, "rollback", ROLLBACK_LEASE_SECONDS));
      if (refusal) {
        context.emit({
          kind: "run-refused",
          stack: context.stack,
          command: "rollback",
          ...refusal,
        });
        return { kind: "refused", refusal };
      }
    } catch (error) {
      if (error instanceof RolloutInterrupted) return { kind: "interrupted" };
      throw error;
    }
  }
  const report = new RollbackReport(context, request);
  try {
    return await report.finish(await rollBack(context, request, report));
  } catch (error) {
    if (!(error instanceof RolloutInterrupted)) {
      const reason = `bug: ${(error as Error).message}`;
      const stage = report.current();
      await report.finish({ kind: "failed", target: report.target ?? 0, stage, reason });
      throw error;
    }
    return report.finish({ kind: "interrupted", target: report.target });
  }
}

async function rollBack(
  context: RolloutContext,
  request: RollbackRequest,
  report: RollbackReport,
): Promise<RollbackOutcome> {
  const { stack, emit } = context;
  const decision = chooseRollbackTarget(stack, await context.workspace.history(), {
    to: request.to,
    commitExists: (commit) => context.git.commitExists(commit),
  });
  if (decision.kind === "impossible") return impossible(context, decision.reason);
  const target = decision.target;
  report.target = target.version;
  emit({
    kind: "rollback-started",
    stack,
    target,
    mode: request.mode,
    reason: request.reason,
    skipped: decision.skipped,
  });
  let worktree: Worktree;
  try {
    worktree = context.git.addWorktree(target.commit, context.owner);
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    return impossible(context, error.message);
  }
  try {
    const prepared = await prepare(context, target, worktree);
    if ("kind" in prepared) return prepared;
    const run = new RollbackRun(context, request, target, prepared.old, prepared.spec, report);
    return await run.execute();
  } finally {
    worktree.remove();
  }
}

/** Version V's workspace (its commit, with its recorded config) and what its own code says. */
async function prepare(
  context: RolloutContext,
  target: RollbackTarget,
  worktree: Worktree,
): Promise<{ old: StackWorkspace; spec: VersionSpec } | RollbackOutcome> {
  try {
    const old = await context.openWorkspace(worktree.dir, context.stack);
    const differences = configDifferences(await old.getAllConfig(), target.config);
    if (differences.length > 0) {
      context.emit({
        kind: "rollback-config-restored",
        stack: context.stack,
        version: target.version,
        keys: differences,
      });
      await old.setAllConfig(target.config);
    }
    const loaded = await context.loadVersion(worktree.dir, context.stack, target.config);
    if (loaded.readBy === "this") {
      context.emit({ kind: "version-read-by-this-code", version: target.version });
    }
    return { old, spec: loaded.spec };
  } catch (error) {
    if (!(error instanceof VersionError || error instanceof EngineError)) throw error;
    return impossible(context, `version ${target.version} cannot be prepared: ${error.message}`);
  }
}

function impossible(context: RolloutContext, reason: string): RollbackOutcome {
  context.emit({ kind: "rollback-impossible", stack: context.stack, reason });
  return { kind: "impossible", reason };
}

/** A stage that could not complete, for a reason in the world outside (not a bug). */
class StageFailure extends Error {}

/** Every stage as it ends, the summary, and the rollback's record in the stack's history. */
class RollbackReport {
  target?: number;
  stages: StageRecord[];
  private at = 0;
  /** The update that put the version back, and its window. */
  restored?: { update: number; polls: number; measurements: WindowMeasurements };

  constructor(
    private readonly context: RolloutContext,
    private readonly request: RollbackRequest,
  ) {
    this.stages = this.stageList().map((stage) => ({
      stage,
      status: "not reached",
      detail: "",
    }));
  }

  private stageList(): RollbackStage[] {
    return (
      this.request.policy?.rollbackStages ?? [
        "pause_new_deployment",
        "route_traffic_to_old",
        "terminate_unhealthy_new",
        "restore_old_version",
      ]
    );
  }

  /** The version's own stage list, when no policy was given. */
  useStages(stages: RollbackStage[]) {
    if (this.request.policy) return;
    this.stages = stages.map((stage) => ({ stage, status: "not reached", detail: "" }));
  }

  begin(index: number) {
    this.at = index;
  }

  end(status: StageRecord["status"], detail: string) {
    Object.assign(this.stages[this.at], { status, detail });
  }

  current(): RollbackStage {
    return this.stages[this.at]?.stage ?? "pause_new_deployment";
  }

  async finish(outcome: RollbackOutcome): Promise<RollbackOutcome> {
    const { context, request } = this;
    if (outcome.kind === "refused") return outcome;
    const result = outcome.kind;
    if (this.target !== undefined && result !== "impossible") {
      context.emit({
        kind: "rollback-summary",
        stack: context.stack,
        target: this.target,
        result,
        stages: this.stages,
      });
    }
    await writeRecord(context, summaryOf(outcome, this.target), {
      kind: "rollback",
      run: context.run,
      final: true,
      from: request.from,
      target: this.target,
      mode: request.mode,
      reason: reasonOf(outcome, request),
      result,
      stages: this.stages,
      ...(outcome.kind === "rolled-back" && this.restored ? this.restored : {}),
    });
    return outcome;
  }
}

function summaryOf(outcome: RollbackOutcome, target: number | undefined): string {
  const to = `rollback to version ${target ?? "?"}`;
  switch (outcome.kind) {
    case "rolled-back":
      return `${to} done: update ${outcome.version} verified good`;
    case "unverified":
      return `${to} not verified: ${outcome.reason}`;
    case "failed":
      return `${to} failed at ${outcome.stage}: ${outcome.reason}`;
    case "impossible":
      return `rollback impossible: ${outcome.reason}`;
    case "declined":
      return `${to} declined; nothing changed`;
    case "interrupted":
      return `${to} interrupted`;
    case "refused":
      return `rollback refused`;
  }
}

function reasonOf(outcome: RollbackOutcome, request: RollbackRequest): string {
  const why = request.reason ?? "run by hand";
  if (outcome.kind === "failed" || outcome.kind === "unverified" || outcome.kind === "impossible")
    return `${why}; ${outcome.reason}`;
  return why;
}

class RollbackRun {
  private currentOutputs: Record<string, unknown> = {};
  private confirmed = false;

  constructor(
    private readonly context: RolloutContext,
    private readonly request: RollbackRequest,
    private readonly target: RollbackTarget,
    private readonly old: StackWorkspace,
    private readonly spec: VersionSpec,
    private readonly report: RollbackReport,
  ) {}

  async execute(): Promise<RollbackOutcome> {
    const { context, report } = this;
    this.currentOutputs = await context.workspace.outputs();
    const stages = (this.request.policy ?? this.spec.policy).rollbackStages;
    report.useStages(stages);
    let result: RollbackOutcome | undefined;
    for (const [index, name] of stages.entries()) {
      const stage: StageRef = { index: index + 1, count: stages.length, name };
      report.begin(index);
      try {
        if (CHANGES_HOST.has(name) && !this.confirmed && !(await this.previewAndConfirm())) {
          context.emit({ kind: "rollback-declined", stack: context.stack, before: name });
          return { kind: "declined" };
        }
        context.emit({ kind: "stage-started", stage });
        result = (await this.runStage(stage)) ?? result;
        throwIfInterrupted(context);
      } catch (error) {
        const reason = failureReason(error);
        context.emit({ kind: "stage-failed", stage, reason });
        report.end("failed", reason);
        if (error instanceof RolloutInterrupted) throw error;
        if (reason.startsWith("bug: ")) throw error;
        return { kind: "failed", target: this.target.version, stage: name, reason };
      }
    }
    return result ?? { kind: "declined" };
  }

  private async previewAndConfirm(): Promise<boolean> {
    const { context, target } = this;
    context.emit({ kind: "previewing", of: { rollbackTo: target.version } });
    const preview = await this.old.preview({ message: this.message(), signal: context.signal });
    context.emit({ kind: "preview", diff: preview.diff, changes: preview.changeSummary });
    const automatic = this.request.from !== undefined;
    this.confirmed =
      this.request.yes ||
      (await context.confirm(
        `Roll stack ${context.stack} back to version ${target.version}?`,
        automatic ? { timeoutMs: AUTOMATIC_CONFIRM_MS, onTimeout: true } : undefined,
      ));
    return this.confirmed;
  }

  private async runStage(stage: StageRef): Promise<RollbackOutcome | void> {
    switch (stage.name) {
      case "pause_new_deployment":
        return this.pause(stage);
      case "route_traffic_to_old":
        return this.route(stage);
      case "terminate_unhealthy_new":
        return this.terminate(stage);
      case "restore_old_version":
        return this.restore(stage);
    }
  }

  private async pause(stage: StageRef) {
    const { context } = this;
    const started = context.clock.now();
    for (;;) {
      const inFlight = await context.workspace.updatesInFlight();
      if (inFlight.length === 0) break;
      const waited = context.clock.now() - started;
      if (waited >= (context.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS)) {
        const who = inFlight.map((u) =>
          u.where ? `${u.description} (${u.where})` : u.description,
        );
        throw new StageFailure(
          `another process is updating stack ${context.stack}: ${who.join("; ")}; waited ${Math.round(waited / 1000)}s. cascade never removes another process's lock (pulumi cancel would, running update and all): let that update finish, then run "cascade rollback --stack ${context.stack}"`,
        );
      }
      await context.sleep(PAUSE_POLL_MS);
    }
    const waitedMs = context.clock.now() - started;
    const windowStopped = this.request.from !== undefined;
    context.emit({ kind: "paused", stage, run: context.run, waitedMs, windowStopped });
    this.report.end(
      "done",
      `${windowStopped ? "verify window stopped; " : ""}stack held by run ${context.run}; ${waitedMs > 0 ? `waited ${Math.round(waitedMs / 1000)}s for another process's update` : "no update in flight"}`,
    );
  }

  private route(stage: StageRef) {
    const { context, spec, target } = this;
    const current = deployedHealthUrls(this.currentOutputs);
    const changes: AddressChange[] = [];
    let unchanged = 0;
    for (const agent of spec.agents) {
      const now = current.get(agent.name);
      const port = agent.healthPort;
      if (now === undefined) changes.push({ agent: agent.name, kind: "returns", port });
      else if (portOf(now) !== port)
        changes.push({ agent: agent.name, kind: "moves", from: now, port });
      else unchanged++;
    }
    const oldNames = new Set(spec.agents.map((agent) => agent.name));
    for (const name of current.keys()) {
      if (!oldNames.has(name)) changes.push({ agent: name, kind: "released" });
    }
    context.emit({
      kind: "route-skipped",
      stage,
      version: target.version,
      site: spec.site,
      unchanged,
      changes,
    });
    this.report.end("skipped", noRouterReason(spec.site));
  }

  private async terminate(stage: StageRef) {
    const { context, spec } = this;
    const unhealthy = new Set(this.request.unhealthy ?? []);
    const state = unhealthy.size === 0 ? [] : await context.workspace.resources();
    const urns = urnsOfAgents(this.currentOutputs, unhealthy, state);
    if (urns.length === 0) {
      context.emit({ kind: "terminate-skipped", stage, unhealthy: [...unhealthy] });
      this.report.end(
        "skipped",
        unhealthy.size === 0
          ? "no agent is known to be unhealthy (no verify window ran)"
          : `no resources of ${[...unhealthy].join(", ")} in the stack's state`,
      );
      return;
    }
    // Kubernetes: updating a Deployment back to the old pod template is what terminates the new
    // pods; replacing it (create before delete, one fixed name) conflicts under server-side apply.
    const oldAgents = new Set(spec.agents.map((agent) => agent.name));
    const replace =
      spec.site.target === "kubernetes"
        ? []
        : urnsOfAgents(
            this.currentOutputs,
            [...unhealthy].filter((name) => oldAgents.has(name)),
            state,
          );
    const result = await this.old.up({
      targets: urns,
      replace,
      message: this.message(`terminate_unhealthy_new`),
      signal: context.signal,
    });
    context.emit({
      kind: "terminated",
      stage,
      update: result.version,
      agents: [...unhealthy],
      version: this.target.version,
      changes: result.changeSummary,
    });
    this.report.end(
      "done",
      `update ${result.version} put ${[...unhealthy].join(", ")} back on version ${this.target.version} (${urns.length} resources)`,
    );
  }

  private async restore(stage: StageRef): Promise<RollbackOutcome> {
    const { context, spec } = this;
    if (this.request.mode === "gradual") {
      const escalated = await this.restoreWaves(stage);
      if (escalated) context.emit({ kind: "escalated", stage, reason: escalated });
    }
    const started = context.clock.now();
    const result = await this.old.up({ message: this.message(), signal: context.signal });
    const ended = context.clock.now();
    const update = result.version;
    const version = this.target.version;
    context.emit({
      kind: "restore-applied",
      stage,
      update,
      version,
      changes: result.changeSummary,
    });
    throwIfInterrupted(context);
    const verified = await context.verify({
      targets: verifyTargets(spec.agents, result.outputs),
      policy: spec.policy,
      deployStartMs: started,
      deployEndMs: ended,
      label: `rollback to version ${version}`,
      site: spec.site,
      window: "rollback",
    });
    const newest = newestUpdate(await context.workspace.history());
    const reason = notVerifiedReason(verified.verdict, update, newest?.version);
    if (reason !== undefined) {
      context.emit({ kind: "restore-unverified", stage, update, version, reason });
      this.report.end(
        "failed",
        `update ${update} applied version ${version}, not verified: ${reason}`,
      );
      return { kind: "unverified", version: update, target: version, reason };
    }
    const { pollsInWindow: polls, measurements } = verified.verdict;
    this.report.restored = { update, polls, measurements };
    context.emit({ kind: "restored", stage, stack: context.stack, update, version });
    this.report.end(
      "done",
      `update ${update} applied version ${version}, verified good over ${polls} polls`,
    );
    return { kind: "rolled-back", version: update, target: version };
  }

  /** Reverse wave order, each verified; returns why it stopped early, if it did. */
  private async restoreWaves(stage: StageRef): Promise<string | undefined> {
    const { context, spec } = this;
    const waveOf = deployedWaves(this.currentOutputs);
    for (const agent of spec.agents)
      if (!waveOf.has(agent.name)) waveOf.set(agent.name, agent.wave);
    const waves = [...new Set(waveOf.values())].sort((a, b) => b - a);
    const state = await context.workspace.resources();
    for (const wave of waves) {
      const members = [...waveOf].filter(([, w]) => w === wave).map(([name]) => name);
      const urns = urnsOfAgents(this.currentOutputs, members, state);
      if (urns.length === 0) {
        context.emit({ kind: "wave-skipped", stage, wave });
        continue;
      }
      const started = context.clock.now();
      const result = await this.old.up({
        targets: urns,
        message: this.message(`wave ${wave}`),
        signal: context.signal,
      });
      const ended = context.clock.now();
      context.emit({
        kind: "wave-applied",
        stage,
        wave,
        agents: members,
        update: result.version,
        changes: result.changeSummary,
      });
      throwIfInterrupted(context);
      const agents = spec.agents.filter((agent) => members.includes(agent.name));
      if (agents.length === 0) continue;
      const verified = await context.verify({
        targets: verifyTargets(agents, { ...this.currentOutputs, ...result.outputs }),
        policy: spec.policy,
        deployStartMs: started,
        deployEndMs: ended,
        label: `rollback wave ${wave}`,
        site: spec.site,
        window: `rollback-wave-${wave}`,
      });
      if (verified.verdict.kind === "rollback")
        return `wave ${wave}: ${verified.verdict.trigger.reason}`;
      context.emit({ kind: "wave-verdict", stage, wave, verdict: verified.verdict });
    }
    return undefined;
  }

  private message(step?: string): string {
    const base = `${ROLLBACK_MESSAGE_PREFIX} of stack ${this.context.stack} to version ${this.target.version} (git ${this.target.commit.slice(0, 12)})`;
    return withRun(step ? `${base}: ${step}` : base, this.context.run);
  }
}

/** Why a stage failed, in one line: the world's error, or an interruption; else a bug. */
function failureReason(error: unknown): string {
  if (error instanceof RolloutInterrupted) return "interrupted (SIGINT/SIGTERM)";
  if (
    error instanceof StageFailure ||
    error instanceof EngineError ||
    error instanceof GitError ||
    error instanceof VersionError
  ) {
    return error.message;
  }
  return `bug: ${(error as Error).message}`;
}

/** Why the restored update is not verified good, or undefined when it is. */
function notVerifiedReason(
  verdict: Exclude<Verdict, { kind: "pending" }>,
  update: number,
  newest: number | undefined,
): string | undefined {
  if (verdict.kind === "rollback") return verdict.trigger.reason;
  if (verdict.kind === "unverified") return verdict.reason;
  if (newest !== update) return `update ${newest} came after update ${update} during its window`;
  return undefined;
}

/** Why route_traffic_to_old has nothing to do on the site's target. */
export function noRouterReason(site: StackSite): string {
  return site.target === "kubernetes"
    ? `no router in front of the agents: each agent's Service in namespace ${site.namespace} sends traffic to that agent's Ready pods only, so traffic moves to the old version as its pods become Ready in the next stages`
    : `no router in front of the agents on a Docker host: clients reach an agent by its container name on network ${site.network} and by its host port, which the old version's containers take over as they replace the new ones in the next stages`;
}

function deployedHealthUrls(outputs: Record<string, unknown>): Map<string, string | undefined> {
  const agents = (outputs.agents ?? {}) as Record<string, { healthUrl?: string }>;
  return new Map(Object.entries(agents).map(([name, agent]) => [name, agent.healthUrl]));
}

function portOf(url: string): number | undefined {
  try {
    const port = new URL(url).port;
    return port ? Number(port) : undefined;
  } catch {
    return undefined;
  }
}
