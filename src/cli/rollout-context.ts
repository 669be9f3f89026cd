import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { loadFleet } from "../fleet/loader";
import type { Fleet } from "../fleet/model";
import { namespaceName } from "../kubernetes/manifests";
import type { RolloutContext } from "../rollout/context";
import { openAutomationWorkspace } from "../rollout/automation-workspace";
import { gitRepo } from "../rollout/git";
import { kubernetesReadinessForStack } from "../rollout/kube-readiness";
import { guardStackFile } from "../rollout/stack-file-guard";
import { verifyDeployment, type ObservationSource } from "../rollout/verifier";
import { loadProgramVersion } from "../rollout/version";
import { settingsFromConfig } from "../rollout/stack-config";
import type { StackSettings } from "../stack/settings";
import { confirmOnTerminal } from "./confirm";
import { UsageError } from "./errors";
import { PROJECT_ROOT } from "./fleet-input";

export interface RolloutFlags {
  stack: string;
  yes: boolean;
  metricsFile?: string;
  pollIntervalSeconds?: number;
  /** Overrides the fleet's rollback_policy.health_check_window for every verify window. */
  verifyWindowSeconds?: number;
}

/**
 * The Pulumi project deploy and rollback work on: the working directory when it holds a
 * Pulumi.yaml (as the pulumi CLI does), else the checkout cascade runs from.
 */
export function rolloutProjectDir(cwd = process.cwd()): string {
  return existsSync(path.join(cwd, "Pulumi.yaml")) ? cwd : PROJECT_ROOT;
}

/**
 * How the verify window observes agents for this stack: `target: kubernetes` reads each agent's
 * Deployment readiness from the API server of the stack's kubeconfig context (the agents' health
 * URLs are cluster-internal); otherwise the health URLs are requested (undefined: the default).
 */
export function observationSourceFor(
  stack: string,
  settings: StackSettings,
): ObservationSource | undefined {
  if (settings.target !== "kubernetes") return undefined;
  return kubernetesReadinessForStack({
    kubeContext: settings.kubeContext,
    namespace: namespaceName(stack, settings),
  });
}

export interface RealRollout {
  context: RolloutContext;
  /** The stack's settings, as the engine hands them to the program (`pulumi config`). */
  settings: StackSettings;
  /** The fleet of this checkout's program for the stack. */
  fleet: Fleet;
}

/**
 * The real context: Automation API on the project (rolloutProjectDir), git CLI, real clock,
 * terminal prompts; with the stack's settings and fleet read through the engine's config.
 */
export async function realRolloutContext(flags: RolloutFlags, usage: string): Promise<RealRollout> {
  if (!flags.yes && !process.stdin.isTTY) {
    throw new UsageError("stdin is not a terminal, so nothing can be confirmed: pass --yes", usage);
  }
  requirePulumiCli();
  const projectDir = rolloutProjectDir();
  const workspace = await openAutomationWorkspace(projectDir, flags.stack);
  const settings = settingsFromConfig(
    await workspace.getAllConfig(),
    `config of stack ${flags.stack}`,
  );
  const fleet = loadFleet(path.resolve(projectDir, settings.fleet), {
    stack: flags.stack,
    gpuAvailable: settings.gpu,
  });
  const observe = observationSourceFor(flags.stack, settings);
  const print = (text: string) => console.log(text);
  const context: RolloutContext = {
    stack: flags.stack,
    workspace,
    openWorkspace: openAutomationWorkspace,
    git: gitRepo(projectDir),
    loadVersion: loadProgramVersion,
    confirm: confirmOnTerminal,
    clock: { now: () => Date.now() },
    print,
    guardStackFile,
    verify: async (request) => {
      const policy =
        flags.verifyWindowSeconds === undefined
          ? request.policy
          : { ...request.policy, healthCheckWindowSeconds: flags.verifyWindowSeconds };
      print(
        `Verifying ${request.label}: ${request.targets.length} agents, ${policy.healthCheckWindowSeconds}s window${flags.verifyWindowSeconds === undefined ? "" : " (--verify-window)"}, ${observe ? "readiness from the Kubernetes API" : "health URLs"}`,
      );
      const result = await verifyDeployment({
        ...request,
        policy,
        observe,
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
  return { context, settings, fleet };
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
