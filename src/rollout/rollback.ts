import type { RollbackPolicy, RollbackStage } from "../fleet/model";
import type { RolloutContext } from "./context";
import type { Worktree } from "./git";
import {
  chooseRollbackTarget,
  configDifferences,
  ROLLBACK_MESSAGE_PREFIX,
  type RollbackTarget,
} from "./history";
import { recordVerifiedGood } from "./marker";
import type { Verdict } from "./policy";
import { deployedWaves, urnsOfAgents, verifyTargets } from "./targets";
import type { ProgramVersion } from "./version";
import type { StackWorkspace } from "./workspace";

/**
 * Rolls a stack back to a verified-good version: the seed's rollback stages (§7.1), in the order
 * the fleet's policy lists them, each reported.
 *
 * Before any stage: the version is chosen from `stack history` (history.ts), its commit is
 * checked out in a temporary git worktree, and the config the update ran with is put in that
 * worktree's stack file. Nothing on the host changes until the preview has been shown and
 * confirmed, which happens before the first stage that changes the host.
 *
 * - pause_new_deployment: the verify window has stopped; any update still in flight on the stack
 *   is cancelled, so nothing else rolls forward meanwhile.
 * - route_traffic_to_old: on a Docker host nothing sits in front of the agents: clients reach an
 *   agent by its container name on the stack's network and by its host ports. Routing traffic to
 *   the old version means giving those names and ports back to version V's containers. This stage
 *   pins them: the rollback program runs with V's fleet file and config (names, network, ports),
 *   and it reports, per agent, the address clients will resolve after the rollback.
 * - terminate_unhealthy_new: the agents that failed verification are replaced first, with a
 *   targeted `up` (`--target` + `--replace` of their resources) of version V; on Kubernetes the
 *   targeted `up` alone rolls their Deployments back to V's pod template.
 * - restore_old_version: immediate: one `up` of version V, then the verify window. Gradual: wave
 *   by wave in reverse dependency order (last wave first), each a targeted `up` of that wave's
 *   resources followed by a verify window over that wave's agents; a wave that triggers the policy
 *   escalates to an immediate rollback of the rest. A final untargeted `up` converges the shared
 *   resources (network, monitoring) and is verified over the whole fleet.
 * On success the rollback update is itself marked verified-good.
 */

export type RollbackMode = "immediate" | "gradual";

export interface RollbackRequest {
  to?: number;
  yes: boolean;
  mode: RollbackMode;
  /** The policy whose stage list is run (the fleet of the failed or current version). */
  policy: RollbackPolicy;
  /** Agents that failed verification, when a verify window triggered the rollback. */
  unhealthy?: string[];
  /** Why the rollback runs, for the report. */
  reason?: string;
}

export type RollbackOutcome =
  | { kind: "impossible"; reason: string }
  | { kind: "declined" }
  | { kind: "rolled-back"; version: number; target: number; markerVersion: number }
  | { kind: "unverified"; version: number; target: number; verdict: Verdict };

export const STAGE_ORDER: readonly RollbackStage[] = [
  "pause_new_deployment",
  "route_traffic_to_old",
  "terminate_unhealthy_new",
  "restore_old_version",
];

const CHANGES_HOST: ReadonlySet<RollbackStage> = new Set([
  "terminate_unhealthy_new",
  "restore_old_version",
]);

export async function runRollback(
  context: RolloutContext,
  request: RollbackRequest,
): Promise<RollbackOutcome> {
  const { stack, print } = context;
  const history = await context.workspace.history();
  const decision = chooseRollbackTarget(stack, history, request.to);
  if (!decision.ok) return impossible(context, decision.reason);
  const target = decision.target;
  if (!context.git.commitExists(target.commit)) {
    return impossible(
      context,
      `commit ${target.commit} of version ${target.version} is not in ${context.git.root}; fetch it (git fetch origin) and run the rollback again`,
    );
  }
  print(
    `Rolling back stack ${stack} to version ${target.version} (git ${target.commit.slice(0, 12)}${target.branch ? `, ${target.branch}` : ""}), ${request.mode}${request.reason ? `: ${request.reason}` : ""}`,
  );

  let worktree: Worktree;
  try {
    worktree = context.git.addWorktree(target.commit);
  } catch (error) {
    return impossible(context, (error as Error).message);
  }
  try {
    const run = new RollbackRun(context, request, target, worktree);
    return await run.execute();
  } finally {
    worktree.remove();
  }
}

function impossible(context: RolloutContext, reason: string): RollbackOutcome {
  context.print(`Rollback impossible: ${reason}.\nStack ${context.stack} is left as it is.`);
  return { kind: "impossible", reason };
}

class RollbackRun {
  private old!: StackWorkspace;
  private version!: ProgramVersion;
  private currentOutputs: Record<string, unknown> = {};
  private confirmed = false;

  constructor(
    private readonly context: RolloutContext,
    private readonly request: RollbackRequest,
    private readonly target: RollbackTarget,
    private readonly worktree: Worktree,
  ) {}

  async execute(): Promise<RollbackOutcome> {
    const { context, target } = this;
    this.old = await context.openWorkspace(this.worktree.dir, context.stack);
    const differences = configDifferences(await this.old.getAllConfig(), target.config);
    if (differences.length > 0) {
      context.print(
        `  config of version ${target.version} differs from Pulumi.${context.stack}.yaml at its commit in ${differences.join(", ")}; using the config history recorded`,
      );
      await this.old.setAllConfig(target.config);
    }
    this.version = context.loadVersion(this.worktree.dir, context.stack, target.config);
    this.currentOutputs = await context.workspace.outputs();

    const stages = this.request.policy.rollbackStages;
    let result: RollbackOutcome | undefined;
    for (const [index, stage] of stages.entries()) {
      const label = `[${index + 1}/${stages.length}] ${stage}`;
      if (CHANGES_HOST.has(stage) && !this.confirmed) {
        if (!(await this.previewAndConfirm())) {
          context.print(
            `Rollback cancelled before ${stage}; stack ${context.stack} is left as it is.`,
          );
          return { kind: "declined" };
        }
      }
      context.print(`${label}: started`);
      const outcome = await this.runStage(stage, label);
      if (outcome) result = outcome;
    }
    return result ?? { kind: "declined" };
  }

  private async previewAndConfirm(): Promise<boolean> {
    const { context, target } = this;
    context.print(`Preview of the rollback to version ${target.version}:`);
    const preview = await this.old.preview({ message: this.message() });
    context.print(preview.diff.trimEnd());
    context.print(`  changes: ${summary(preview.changeSummary)}`);
    this.confirmed =
      this.request.yes ||
      (await context.confirm(`Roll stack ${context.stack} back to version ${target.version}?`));
    return this.confirmed;
  }

  private async runStage(stage: RollbackStage, label: string): Promise<RollbackOutcome | void> {
    switch (stage) {
      case "pause_new_deployment":
        return this.pause(label);
      case "route_traffic_to_old":
        return this.route(label);
      case "terminate_unhealthy_new":
        return this.terminate(label);
      case "restore_old_version":
        return this.restore(label);
    }
  }

  private async pause(label: string) {
    let note = "no update was in flight";
    try {
      await this.context.workspace.cancel();
      note = "cancelled any update in flight";
    } catch {
      // `pulumi cancel` fails when nothing runs: nothing to pause.
    }
    this.context.print(`${label}: done: verify window stopped; ${note}`);
  }

  private route(label: string) {
    const { context, version, target } = this;
    const current = (this.currentOutputs.agents ?? {}) as Record<string, { healthUrl?: string }>;
    const lines: string[] = [];
    let unchanged = 0;
    const oldNames = new Set(version.fleet.agents.map((agent) => agent.name));
    for (const agent of version.fleet.agents) {
      const now = current[agent.name]?.healthUrl;
      const port = agent.healthPort;
      if (now === undefined) lines.push(`    ${agent.name}: comes back on health port ${port}`);
      else if (portOf(now) !== port) lines.push(`    ${agent.name}: ${now} -> health port ${port}`);
      else unchanged++;
    }
    for (const name of Object.keys(current)) {
      if (!oldNames.has(name))
        lines.push(
          `    ${name}: not in version ${target.version}; its name and ports are released`,
        );
    }
    context.print(
      `${label}: done: clients resolve agents by container name on network ${version.settings.network ?? `cascade-${context.stack}`} and by host port (no router in front); version ${target.version}'s names and ports are pinned for the rollback: ${unchanged} agent(s) keep theirs${lines.length ? `, changes:\n${lines.join("\n")}` : ""}`,
    );
  }

  private async terminate(label: string) {
    const unhealthy = new Set(this.request.unhealthy ?? []);
    if (unhealthy.size === 0) {
      this.context.print(
        `${label}: skipped: no agent is known to be unhealthy (no verify window ran)`,
      );
      return;
    }
    const urns = urnsOfAgents(
      await this.context.workspace.resources(),
      this.agentNames(),
      unhealthy,
    );
    if (urns.length === 0) {
      this.context.print(
        `${label}: skipped: no resources of ${[...unhealthy].join(", ")} in the stack's state`,
      );
      return;
    }
    // Kubernetes: updating a Deployment back to the old pod template is what terminates the new
    // pods; replacing it (create before delete, one fixed name) conflicts under server-side apply.
    const oldAgents = new Set(this.version.fleet.agents.map((agent) => agent.name));
    const replace =
      this.version.settings.target === "kubernetes"
        ? []
        : urnsOfAgents(
            await this.context.workspace.resources(),
            this.agentNames(),
            new Set([...unhealthy].filter((name) => oldAgents.has(name))),
          );
    const result = await this.old.up({
      targets: urns,
      replace,
      message: this.message(`terminate_unhealthy_new`),
    });
    this.context.print(
      `${label}: done: update ${result.version} replaced ${[...unhealthy].join(", ")} with version ${this.target.version} (${summary(result.changeSummary)})`,
    );
  }

  private async restore(label: string): Promise<RollbackOutcome> {
    if (this.request.mode === "gradual") {
      const escalated = await this.restoreWaves(label);
      if (escalated)
        this.context.print(`${label}: escalating to an immediate rollback: ${escalated}`);
    }
    const started = this.context.clock.now();
    const result = await this.old.up({ message: this.message() });
    const ended = this.context.clock.now();
    this.context.print(
      `${label}: update ${result.version} applied version ${this.target.version} (${summary(result.changeSummary)}); verifying`,
    );
    const verified = await this.context.verify({
      targets: verifyTargets(this.version.fleet, result.outputs),
      policy: this.version.fleet.rollbackPolicy,
      deployStartMs: started,
      deployEndMs: ended,
      label: `rollback to version ${this.target.version}`,
    });
    if (verified.verdict.kind !== "verified") {
      const why =
        verified.verdict.kind === "rollback"
          ? verified.verdict.trigger.reason
          : verified.verdict.reason;
      this.context.print(
        `${label}: failed: version ${this.target.version} did not pass verification either (${why}); the stack is at update ${result.version}, not marked verified-good. Inspect the agents, or roll back further with --to.`,
      );
      return {
        kind: "unverified",
        version: result.version,
        target: this.target.version,
        verdict: verified.verdict,
      };
    }
    const marker = await recordVerifiedGood(
      this.context,
      this.old,
      result.version,
      this.target.commit,
    );
    this.context.print(
      `${label}: done: stack ${this.context.stack} is back on version ${this.target.version}'s program as update ${result.version}, verified good (marker update ${marker})`,
    );
    return {
      kind: "rolled-back",
      version: result.version,
      target: this.target.version,
      markerVersion: marker,
    };
  }

  /** Reverse wave order, each verified; returns why it stopped early, if it did. */
  private async restoreWaves(label: string): Promise<string | undefined> {
    const waveOf = deployedWaves(this.currentOutputs);
    for (const agent of this.version.plan.agents)
      if (!waveOf.has(agent.name)) waveOf.set(agent.name, agent.wave);
    const waves = [...new Set(waveOf.values())].sort((a, b) => b - a);
    const resources = await this.context.workspace.resources();
    for (const wave of waves) {
      const members = new Set([...waveOf].filter(([, w]) => w === wave).map(([name]) => name));
      const urns = urnsOfAgents(resources, this.agentNames(), members);
      if (urns.length === 0) {
        this.context.print(`${label}: wave ${wave}: no resources to roll back`);
        continue;
      }
      const started = this.context.clock.now();
      const result = await this.old.up({ targets: urns, message: this.message(`wave ${wave}`) });
      const ended = this.context.clock.now();
      this.context.print(
        `${label}: wave ${wave} (${[...members].join(", ")}): update ${result.version} (${summary(result.changeSummary)}); verifying`,
      );
      const fleetAgents = this.version.fleet.agents.filter((agent) => members.has(agent.name));
      if (fleetAgents.length === 0) continue;
      const verified = await this.context.verify({
        targets: verifyTargets(
          { ...this.version.fleet, agents: fleetAgents },
          { ...this.currentOutputs, ...result.outputs },
        ),
        policy: this.version.fleet.rollbackPolicy,
        deployStartMs: started,
        deployEndMs: ended,
        label: `rollback wave ${wave}`,
      });
      if (verified.verdict.kind === "rollback")
        return `wave ${wave}: ${verified.verdict.trigger.reason}`;
      this.context.print(
        `${label}: wave ${wave}: ${verified.verdict.kind === "verified" ? "verified" : `not verified (${verified.verdict.reason}); continuing`}`,
      );
    }
    return undefined;
  }

  private agentNames(): string[] {
    const current = Object.keys(this.currentOutputs.agents ?? {});
    return [...new Set([...current, ...this.version.fleet.agents.map((agent) => agent.name)])];
  }

  private message(step?: string): string {
    const base = `${ROLLBACK_MESSAGE_PREFIX} of stack ${this.context.stack} to version ${this.target.version} (git ${this.target.commit.slice(0, 12)})`;
    return step ? `${base}: ${step}` : base;
  }
}

function portOf(url: string): number | undefined {
  try {
    const port = new URL(url).port;
    return port ? Number(port) : undefined;
  } catch {
    return undefined;
  }
}

export function summary(changes: Record<string, number>): string {
  const parts = Object.entries(changes)
    .filter(([, count]) => count > 0)
    .map(([op, count]) => `${count} ${op}`);
  return parts.length ? parts.join(", ") : "no changes";
}
