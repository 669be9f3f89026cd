import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import type {
  ChangeSummary,
  OperationOptions,
  StackConfig,
  StackWorkspace,
  UpdateRecord,
  WorkspaceFactory,
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

class AutomationWorkspace implements StackWorkspace {
  constructor(
    private readonly stackHandle: Stack,
    readonly workDir: string,
  ) {}

  get stack(): string {
    return this.stackHandle.name;
  }

  async preview(options: OperationOptions = {}) {
    const result = await this.stackHandle.preview({
      diff: true,
      color: "never",
      message: options.message,
      target: options.targets,
      replace: options.replace,
      onOutput: options.onOutput,
    });
    return { changeSummary: result.changeSummary as ChangeSummary, diff: result.stdout };
  }

  async up(options: OperationOptions = {}) {
    const result = await this.stackHandle.up({
      diff: true,
      color: "never",
      message: options.message,
      target: options.targets,
      replace: options.replace,
      onOutput: options.onOutput,
    });
    const outputs = Object.fromEntries(
      Object.entries(result.outputs).map(([key, output]) => [key, output.value as unknown]),
    );
    return {
      version: result.summary.version || ((await this.history())[0]?.version ?? 0),
      changeSummary: (result.summary.resourceChanges ?? {}) as ChangeSummary,
      outputs,
    };
  }

  async history(): Promise<UpdateRecord[]> {
    const updates = await this.stackHandle.history(undefined, undefined, true);
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
    }));
  }

  async outputs() {
    const outputs = await this.stackHandle.outputs();
    return Object.fromEntries(
      Object.entries(outputs).map(([key, output]) => [key, output.value as unknown]),
    );
  }

  async resources() {
    const deployment = await this.stackHandle.exportStack();
    const state = deployment.deployment as { resources?: { urn: string; type: string }[] };
    return (state.resources ?? []).map(({ urn, type }) => ({ urn, type }));
  }

  async getAllConfig(): Promise<StackConfig> {
    return this.stackHandle.getAllConfig();
  }

  async setAllConfig(config: StackConfig) {
    const current = await this.stackHandle.getAllConfig();
    for (const key of Object.keys(current)) {
      if (!(key in config)) await this.stackHandle.removeConfig(key);
    }
    await this.stackHandle.setAllConfig(config);
  }

  async setConfig(key: string, entry: { value: string; secret?: boolean }) {
    await this.stackHandle.setConfig(key, entry);
  }

  async removeConfig(key: string) {
    await this.stackHandle.removeConfig(key);
  }

  async cancel() {
    await this.stackHandle.cancel();
  }
}
