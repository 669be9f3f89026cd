import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadFleet } from "../fleet/loader";
import type { Fleet } from "../fleet/model";
import type { DeployRecord } from "../report/from-deploy";
import { RolloutInterrupted, type RolloutContext, type VerifyFn } from "../rollout/context";
import type { RolloutEvent } from "../rollout/events";
import { openAutomationWorkspace } from "../rollout/automation-workspace";
import { processRuns, processStart } from "../rehearse/process-start";
import { gitRepo } from "../rollout/git";
import { kubernetesReadinessForStack } from "../rollout/kube-readiness";
import { prometheusErrorRate } from "../rollout/prometheus-error-rate";
import type { Owner } from "../rollout/record";
import { settingsFromConfig } from "../rollout/stack-config";
import { verifyDeployment, type ObservationSource } from "../rollout/verifier";
import { loadVersionSpec, stackSite, type StackSite } from "../rollout/version";
import type { StackWorkspace } from "../rollout/workspace";
import { fleetStackContext, type StackSettings } from "../stack/settings";
import { stackFilePath } from "../stack/stack-file";
import type { RolloutFlags } from "./args";
import { confirmOnTerminal } from "./confirm";
import { renderRolloutEvent } from "./render-rollout";
import { UsageError } from "./errors";
import { PROJECT_ROOT } from "./fleet-input";

/**
 * The Pulumi project deploy and rollback work on: the working directory when it holds a
 * Pulumi.yaml (as the pulumi CLI does), else the checkout cascade runs from.
 */
export function rolloutProjectDir(cwd = process.cwd()): string {
  return existsSync(path.join(cwd, "Pulumi.yaml")) ? cwd : PROJECT_ROOT;
}

/**
 * How the verify window observes agents at `site`: on Kubernetes each agent's Deployment
 * readiness from the API server of the site's kubeconfig context (the agents' health URLs are
 * cluster-internal); otherwise the health URLs are requested (undefined: the default).
 */
export function observationSourceFor(site: StackSite): ObservationSource | undefined {
  if (site.target !== "kubernetes") return undefined;
  return kubernetesReadinessForStack({ kubeContext: site.kubeContext, namespace: site.namespace });
}

/** The stack's settings and fleet by this checkout, as the engine hands them to the program. */
export interface CurrentVersion {
  settings: StackSettings;
  fleet: Fleet;
  site: StackSite;
}

export async function currentVersion(context: RolloutContext): Promise<CurrentVersion> {
  const settings = settingsFromConfig(
    await context.workspace.getAllConfig(),
    `config of stack ${context.stack}`,
  );
  const fleet = loadFleet(
    path.resolve(context.workspace.workDir, settings.fleet),
    fleetStackContext(context.stack, settings),
  );
  return { settings, fleet, site: stackSite(context.stack, settings) };
}

/** `FILE` for the deploy window, `FILE` with `.<window>` before its extension for the others. */
export function metricsFileFor(file: string, window: string): string {
  if (window === "deploy") return file;
  const ext = path.extname(file);
  return `${file.slice(0, file.length - ext.length)}.${window}${ext}`;
}

/**
 * The real context: Automation API on the project (rolloutProjectDir), git CLI, real clock,
 * terminal prompts, SIGINT/SIGTERM as `signal`. Reads nothing of the stack's settings: a
 * rollback must work whatever state this checkout is in. With `record`, every event and the
 * update's resource steps are also kept there (`--report`).
 */
export async function realRolloutContext(
  flags: RolloutFlags,
  usage: string,
  signal?: AbortSignal,
  record?: DeployRecord,
): Promise<RolloutContext> {
  if (!flags.yes && !process.stdin.isTTY) {
    throw new UsageError("stdin is not a terminal, so nothing can be confirmed: pass --yes", usage);
  }
  const projectDir = rolloutProjectDir();
  // A misspelled stack is named as `plan` names it, before anything asks the engine.
  stackFilePath(projectDir, flags.stack);
  requirePulumiCli();
  const git = gitRepo(projectDir);
  if (flags.metricsFile) {
    const problem = metricsFileProblem(flags.metricsFile, projectDir);
    if (problem) throw new UsageError(problem, usage);
  }
  const workspace = await openAutomationWorkspace(projectDir, flags.stack);
  const emit = (event: RolloutEvent) => {
    record?.events.push({ atMs: Date.now(), event });
    console.log(renderRolloutEvent(event));
  };
  const sleep = (ms: number) => abortableSleep(ms, signal);
  return {
    stack: flags.stack,
    workspace,
    openWorkspace: openAutomationWorkspace,
    git,
    loadVersion: loadVersionSpec,
    confirm: (question, options) => confirmOnTerminal(question, options, signal),
    clock: { now: () => Date.now() },
    sleep,
    emit,
    onStep: record && ((step) => record.steps.push({ atMs: Date.now(), step })),
    run: randomBytes(3).toString("hex"),
    owner: thisProcess(),
    isAlive: processAlive,
    signal,
    verify: verifyWindow(flags, emit, sleep),
  };
}

function verifyWindow(
  flags: RolloutFlags,
  emit: (event: RolloutEvent) => void,
  sleep: (ms: number) => Promise<void>,
): VerifyFn {
  return async (request) => {
    const policy =
      flags.verifyWindowSeconds === undefined
        ? request.policy
        : { ...request.policy, healthCheckWindowSeconds: flags.verifyWindowSeconds };
    const observe = observationSourceFor(request.site);
    const prometheusUrl = request.site.target === "docker" ? request.site.prometheusUrl : undefined;
    emit({
      kind: "verify-started",
      label: request.label,
      agents: request.targets.length,
      windowSeconds: policy.healthCheckWindowSeconds,
      overridden: flags.verifyWindowSeconds !== undefined,
      source: observe ? "kubernetes-api" : "health-urls",
      ...(prometheusUrl ? { errorRate: "prometheus" as const } : {}),
    });
    const result = await verifyDeployment({
      ...request,
      policy,
      observe,
      errorRate: prometheusUrl ? prometheusErrorRate(prometheusUrl) : undefined,
      clock: { now: () => Date.now() },
      sleep,
      pollIntervalMs: flags.pollIntervalSeconds ? flags.pollIntervalSeconds * 1000 : undefined,
      onPoll: (poll, verdict) =>
        emit({
          kind: "verify-poll",
          sinceDeployMs: poll.atMs - request.deployEndMs,
          agents: request.targets.length,
          poll,
          verdict,
        }),
    });
    if (flags.metricsFile) {
      const file = metricsFileFor(flags.metricsFile, request.window);
      result.metrics.registry.setDefaultLabels({ cascade_window: request.window });
      writeFileSync(file, await result.metrics.registry.metrics());
      emit({ kind: "metrics-written", file });
    }
    return result;
  };
}

/**
 * Why `--metrics-file FILE` cannot be used: inside the repository and not ignored by git, it
 * would make the working tree dirty, and the next deploy would refuse it.
 */
export function metricsFileProblem(file: string, projectDir: string): string | undefined {
  const absolute = path.resolve(file);
  let root: string;
  try {
    root = execFileSync("git", ["rev-parse", "--show-toplevel"], {
      cwd: projectDir,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return undefined;
  }
  const inside = path.relative(root, absolute);
  if (inside.startsWith("..") || path.isAbsolute(inside)) return undefined;
  try {
    execFileSync("git", ["check-ignore", "-q", inside], { cwd: root, stdio: "ignore" });
    return undefined;
  } catch {
    return `--metrics-file ${file} is inside the repository (${root}) and not ignored by git: writing it would leave uncommitted changes, and the next cascade deploy would refuse the dirty tree. Write it outside the repository (node_exporter's textfile directory, say) or add it to .gitignore.`;
  }
}

/** This process, as a lease or a worktree names its owner. */
export function thisProcess(): Owner {
  const owner = { user: os.userInfo().username, host: os.hostname(), pid: process.pid };
  const start = processStart(process.pid);
  return start === undefined ? owner : { ...owner, start };
}

/** Whether `owner`'s process is alive: only knowable on this host. */
export function processAlive(owner: Owner): boolean | undefined {
  if (owner.host !== os.hostname()) return undefined;
  return processRuns(owner.pid, owner.start);
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new RolloutInterrupted());
    const onAbort = () => {
      clearTimeout(timer);
      reject(new RolloutInterrupted());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The stack's workspace in the rollout project, for commands that only read or record. */
export async function projectWorkspace(stack: string): Promise<StackWorkspace> {
  requirePulumiCli();
  return openAutomationWorkspace(rolloutProjectDir(), stack);
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
