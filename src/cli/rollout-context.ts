import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import type { RolloutContext } from "../rollout/context";
import { openAutomationWorkspace } from "../rollout/automation-workspace";
import { gitRepo } from "../rollout/git";
import { guardStackFile } from "../rollout/stack-file-guard";
import { verifyDeployment } from "../rollout/verifier";
import { loadProgramVersion } from "../rollout/version";
import { confirmOnTerminal } from "./confirm";
import { UsageError } from "./errors";
import { PROJECT_ROOT } from "./fleet-input";

export interface RolloutFlags {
  stack: string;
  yes: boolean;
  metricsFile?: string;
  pollIntervalSeconds?: number;
}

/** The real context: Automation API on this checkout, git CLI, real clock, terminal prompts. */
export async function realRolloutContext(
  flags: RolloutFlags,
  usage: string,
): Promise<RolloutContext> {
  if (!flags.yes && !process.stdin.isTTY) {
    throw new UsageError("stdin is not a terminal, so nothing can be confirmed: pass --yes", usage);
  }
  requirePulumiCli();
  const workspace = await openAutomationWorkspace(PROJECT_ROOT, flags.stack);
  const print = (text: string) => console.log(text);
  return {
    stack: flags.stack,
    workspace,
    openWorkspace: openAutomationWorkspace,
    git: gitRepo(PROJECT_ROOT),
    loadVersion: loadProgramVersion,
    confirm: confirmOnTerminal,
    clock: { now: () => Date.now() },
    print,
    guardStackFile,
    verify: async (request) => {
      print(
        `Verifying ${request.label}: ${request.targets.length} agents, ${request.policy.healthCheckWindowSeconds}s window`,
      );
      const result = await verifyDeployment({
        ...request,
        clock: { now: () => Date.now() },
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        pollIntervalMs: flags.pollIntervalSeconds ? flags.pollIntervalSeconds * 1000 : undefined,
        onPoll: (poll, verdict) => {
          const failing =
            request.targets.length -
            poll.results.filter((r) => r.outcome === "healthy" || r.outcome === "degraded").length;
          const elapsed = Math.round((poll.atMs - request.deployEndMs) / 1000);
          print(
            `  +${elapsed}s: ${request.targets.length - failing}/${request.targets.length} healthy or degraded${verdict.kind === "rollback" ? ` -> ${verdict.trigger.action}` : ""}`,
          );
        },
      });
      if (flags.metricsFile) {
        writeFileSync(flags.metricsFile, await result.metrics.registry.metrics());
        print(`  startup metrics written to ${flags.metricsFile} (Prometheus text format)`);
      }
      return result;
    },
  };
}

function requirePulumiCli() {
  try {
    execFileSync("pulumi", ["version"], { stdio: "ignore" });
  } catch {
    throw new Error(
      'the Pulumi CLI ("pulumi") is not on PATH: install it, or build it with scripts/build-engine.sh and run eval "$(scripts/build-engine.sh env)"',
    );
  }
}
