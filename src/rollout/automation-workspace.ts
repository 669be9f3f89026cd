import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import {
  CommandError,
  ConcurrentUpdateError,
  LocalWorkspace,
  type EngineEvent,
  type Stack,
  type StepEventMetadata,
  type UpdateSummary,
} from "@pulumi/pulumi/automation";
import {
  EngineError,
  type ChangeSummary,
  type OperationOptions,
  type ResourceStep,
  type StackConfig,
  type StackWorkspace,
  type StepsBegun,
  type UpdateInFlight,
  type UpdateRecord,
  type WorkspaceFactory,
} from "./workspace";

/**
 * StackWorkspace on the Automation API: a LocalWorkspace over the program in `workDir`, which
 * runs the `pulumi` CLI found on PATH against whatever backend it is logged in to
 * (PULUMI_BACKEND_URL / PULUMI_ACCESS_TOKEN, PULUMI_CONFIG_PASSPHRASE as usual).
 */
export const openAutomationWorkspace: WorkspaceFactory = async (workDir, stackName) => {
  const stack = await LocalWorkspace.selectStack({ stackName, workDir });
  return new AutomationWorkspace(stack, workDir);
};

/** Entries of the stack's history per `pulumi stack history` call. */
const HISTORY_PAGE_SIZE = 500;
/** Reads of a history longer than a page before giving up on one that keeps changing. */
const HISTORY_READS = 5;

/** How long the engine has to say it got the operator's own ^C before cascade passes one on. */
const CANCEL_ANNOUNCE_MS = 1000;

/** The engine's resource events of an update as steps: pre -> started, outputs -> done. */
function stepsOf(onStep: (step: ResourceStep) => void): (event: EngineEvent) => void {
  return (event) => {
    const pre = event.resourcePreEvent;
    const done = event.resOutputsEvent;
    const failed = event.resOpFailedEvent;
    if (pre && !pre.planning)
      onStep({ urn: pre.metadata.urn, op: pre.metadata.op, status: "started" });
    if (done && !done.planning)
      onStep({ urn: done.metadata.urn, op: done.metadata.op, status: "done" });
    if (failed) onStep({ urn: failed.metadata.urn, op: failed.metadata.op, status: "failed" });
  };
}

class AutomationWorkspace implements StackWorkspace {
  constructor(
    private readonly stackHandle: Stack,
    readonly workDir: string,
  ) {}

  get stack(): string {
    return this.stackHandle.name;
  }

  async preview(options: OperationOptions = {}) {
    const result = await engineCall(options, (signal, onOutput) =>
      this.stackHandle.preview({
        ...engineOptions(options),
        onOutput,
        signal,
      }),
    );
    return { changeSummary: result.changeSummary as ChangeSummary, diff: result.stdout };
  }

  async up(options: OperationOptions = {}) {
    const steps = stepsBegun();
    const onStep = options.onStep && stepsOf(options.onStep);
    const result = await engineCall(
      options,
      (signal, onOutput) =>
        this.stackHandle.up({
          ...engineOptions(options),
          onOutput,
          onEvent: (event) => {
            steps.onEvent(event);
            onStep?.(event);
          },
          signal,
        }),
      steps.seen,
    );
    const outputs = Object.fromEntries(
      Object.entries(result.outputs).map(([key, output]) => [key, output.value as unknown]),
    );
    return {
      version: result.summary.version || ((await this.history())[0]?.version ?? 0),
      changeSummary: (result.summary.resourceChanges ?? {}) as ChangeSummary,
      outputs,
    };
  }

  async appendRecord(message: string) {
    const root = (await this.resources()).find((r) => r.type === "pulumi:pulumi:Stack");
    await engineCall({}, () =>
      this.stackHandle.refresh({
        message,
        color: "never",
        ...(root ? { target: [root.urn] } : {}),
      }),
    );
  }

  async updatesInFlight(): Promise<UpdateInFlight[]> {
    const { url } = await engineCall({}, () => this.stackHandle.workspace.whoAmI());
    if (url?.startsWith("file://")) {
      const project = (await this.stackHandle.workspace.projectSettings()).name;
      return lockFiles(fileURLToPath(url), project, this.stackHandle.name);
    }
    if (url?.startsWith("https://")) {
      const newest = (await engineCall({}, () => this.stackHandle.history(1, 1, false)))[0];
      if (newest?.result === "in-progress") {
        return [
          {
            description: `update "${newest.message ?? ""}" started at ${newest.startTime.toISOString()} is in progress`,
          },
        ];
      }
    }
    return [];
  }

  async history(): Promise<UpdateRecord[]> {
    const updates = await this.wholeHistory();
    // Self-managed (file, S3...) backends record every update as version 0; number them in
    // order as Pulumi Cloud does (history comes newest first), so versions identify updates.
    const unnumbered = updates.every((update) => !update.version);
    return updates.map((update, index) => ({
      version: unnumbered ? updates.length - index : update.version,
      kind: update.kind,
      result: update.result,
      message: update.message ?? "",
      environment: update.environment ?? {},
      config: update.config ?? {},
      startTime: update.startTime,
      endTime: update.endTime,
      resourceChanges: update.resourceChanges,
    }));
  }

  /**
   * Every entry of the stack's history, newest first. `pulumi stack history` returns one page of
   * 10 unless told otherwise (pkg/cmd/pulumi/stack/stack_history.go), so it is read page by page
   * until a short one; should an entry be added meanwhile (pages shift by it), it is read again.
   */
  private async wholeHistory(): Promise<UpdateSummary[]> {
    for (let attempt = 1; attempt <= HISTORY_READS; attempt++) {
      const updates: UpdateSummary[] = [];
      for (let page = 1; ; page++) {
        const entries = await engineCall({}, () =>
          this.stackHandle.history(HISTORY_PAGE_SIZE, page, true),
        );
        updates.push(...entries);
        if (entries.length < HISTORY_PAGE_SIZE) break;
      }
      if (updates.length < HISTORY_PAGE_SIZE) return updates;
      const [newest] = await engineCall({}, () => this.stackHandle.history(1, 1, false));
      if (sameEntry(newest, updates[0])) return updates;
    }
    throw new EngineError(
      `the history of stack ${this.stack} changed each of the ${HISTORY_READS} times cascade read it; try again when it is quiet`,
    );
  }

  async outputs() {
    const outputs = await engineCall({}, () => this.stackHandle.outputs());
    return Object.fromEntries(
      Object.entries(outputs).map(([key, output]) => [key, output.value as unknown]),
    );
  }

  async resources() {
    const deployment = await engineCall({}, () => this.stackHandle.exportStack());
    const state = deployment.deployment as { resources?: { urn: string; type: string }[] };
    return (state.resources ?? []).map(({ urn, type }) => ({ urn, type }));
  }

  async getAllConfig(): Promise<StackConfig> {
    return engineCall({}, () => this.stackHandle.getAllConfig());
  }

  async setAllConfig(config: StackConfig) {
    const current = await this.getAllConfig();
    for (const key of Object.keys(current)) {
      if (!(key in config)) await this.removeConfig(key);
    }
    await engineCall({}, () => this.stackHandle.setAllConfig(config));
  }

  async removeConfig(key: string) {
    await engineCall({}, () => this.stackHandle.removeConfig(key));
  }
}

/**
 * Runs one engine command. Its failures become EngineErrors (`locked` when another update holds
 * the stack). Cancelling through `options.signal` asks the engine to stop gracefully, but only
 * when it has not announced a cancellation of its own within a second: a ^C at the terminal
 * reaches the engine (same process group) as well as cascade, and a second SIGINT would make it
 * terminate at once instead of finishing its steps and releasing its lock.
 */
async function engineCall<T>(
  options: OperationOptions,
  call: (signal: AbortSignal, onOutput: (text: string) => void) => Promise<T>,
  steps?: StepsBegun,
): Promise<T> {
  const inner = new AbortController();
  let announced = false;
  const onOutput = (text: string) => {
    if (/received; (cancelling|terminating)/.test(text)) announced = true;
    options.onOutput?.(text);
  };
  let timer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    timer = setTimeout(() => {
      if (!announced) inner.abort();
    }, CANCEL_ANNOUNCE_MS);
  };
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    return await call(inner.signal, onOutput);
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    // The message is the command's exit code, stdout and stderr.
    throw new EngineError(
      engineErrorGist(error.message),
      error instanceof ConcurrentUpdateError,
      steps,
    );
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * Counts the steps an operation begins from its engine events (the SDK reads them all before it
 * returns). Steps of component resources (the stack's root, cascade's groups) are left out: they
 * live in the state only, no provider acts on them.
 */
function stepsBegun(): { seen: StepsBegun; onEvent: (event: EngineEvent) => void } {
  const seen: StepsBegun = { ops: {}, complete: false };
  const onEvent = (event: EngineEvent) => {
    const step = event.resourcePreEvent?.metadata;
    if (step && !ofComponent(step)) seen.ops[step.op] = (seen.ops[step.op] ?? 0) + 1;
    if (event.summaryEvent) seen.complete = true;
  };
  return { seen, onEvent };
}

function ofComponent(step: StepEventMetadata): boolean {
  // The engine writes a step's missing state (a create's old one) as null.
  const states = [step.old, step.new].filter((state) => state !== undefined && state !== null);
  return states.length > 0 && states.every((state) => !state.custom);
}

/** Whether two history entries are the same one (self-managed backends number none of them). */
function sameEntry(a: UpdateSummary | undefined, b: UpdateSummary | undefined): boolean {
  return (
    a?.version === b?.version &&
    a?.kind === b?.kind &&
    a?.message === b?.message &&
    a?.startTime?.getTime() === b?.startTime?.getTime()
  );
}

/** The gist of an engine error: its "error:" lines, else its first few non-empty lines. */
export function engineErrorGist(text: string, count = 6): string {
  const lines = text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  const errors = lines.filter((line) => /\berror:/i.test(line));
  const chosen = errors.length > 0 ? errors : lines;
  return chosen.slice(0, count).join("\n  ") + (chosen.length > count ? "\n  ..." : "");
}

interface LockContent {
  pid?: number;
  username?: string;
  hostname?: string;
  timestamp?: string;
}

/**
 * The engine's lock files of a stack on a file:// backend (pkg/backend/diy/lock.go):
 * `.pulumi/locks/organization/<project>/<stack>/<id>.json` (`.pulumi/locks/<stack>/` for a
 * backend without projects), each `{pid, username, hostname, timestamp}` of the process holding it.
 */
function lockFiles(root: string, project: string, stack: string): UpdateInFlight[] {
  const name = stack.split("/").at(-1)!;
  const dirs = [
    path.join(root, ".pulumi", "locks", "organization", project, name),
    path.join(root, ".pulumi", "locks", name),
  ];
  return dirs.flatMap((dir) => {
    let files: string[];
    try {
      files = readdirSync(dir).filter((file) => file.endsWith(".json"));
    } catch {
      return [];
    }
    return files.map((file) => {
      const where = path.join(dir, file);
      let lock: LockContent = {};
      try {
        lock = JSON.parse(readFileSync(where, "utf8")) as LockContent;
      } catch {
        // Being written, or removed meanwhile: still someone's lock.
      }
      return {
        description: `created by ${lock.username ?? "?"}@${lock.hostname ?? "?"} (pid ${lock.pid ?? "?"}) at ${lock.timestamp ?? "?"}`,
        where,
      };
    });
  });
}

/** What preview and up pass the engine alike: the diff, uncoloured, and the caller's scope. */
function engineOptions(options: OperationOptions) {
  return {
    diff: true,
    color: "never" as const,
    message: options.message,
    target: options.targets,
    replace: options.replace,
  };
}
