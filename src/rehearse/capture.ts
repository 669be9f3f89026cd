import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";

/**
 * Runs the Pulumi program (src/index.ts) for one stack under `pulumi.runtime.setMocks`, with
 * that stack's real config from Pulumi.<stack>.yaml plus overrides, and returns every resource
 * it registered: type, name, parent, inputs and dependsOn, which the mock API does not expose
 * (read here from the monitor's RegisterResourceRequest). For the Docker, Kubernetes and
 * rehearsal tests alike, and at runtime for `cascade rehearse`, which deploys exactly what the
 * program registers (test/support/pulumi-harness.ts re-exports this module).
 */

export const PROJECT = "cascade";
const ROOT = path.join(__dirname, "..", "..");
const PROGRAM = path.join(ROOT, "src", "index.ts");

export interface RegisteredResource {
  type: string;
  name: string;
  urn: string;
  /** The parent's name, or undefined for the stack's direct children. */
  parent?: string;
  custom: boolean;
  /** Inputs as the provider would get them (secrets unwrapped, see `secretInputs`). */
  inputs: Record<string, unknown>;
  /** Names of the resources it depends on: explicit dependsOn plus those its inputs come from. */
  dependsOn: string[];
  /** Only the explicit `dependsOn` option, when distinguishable; see note in the code. */
  secretInputs: string[];
}

export interface ProgramRun {
  resources: RegisteredResource[];
  /** The program's exports, resolved. */
  outputs: Record<string, unknown>;
  /** The stack config the program saw. */
  config: Record<string, string>;
  /** Milliseconds from loading the program until every registration finished. */
  programMs: number;
}

export interface RunOptions {
  stack: string;
  /** `cascade:*` keys (without the namespace) overriding the stack file; non-strings are JSON-encoded. */
  config?: Record<string, unknown>;
  /** Secret `cascade:*` keys (without namespace) and their values. */
  secrets?: Record<string, string>;
  /** Instead of Pulumi.<stack>.yaml (e.g. a synthetic stack for the bench). */
  stackFile?: string;
  program?: string;
}

/** The `config:` of Pulumi.<stack>.yaml as the engine hands it over: every value as text. */
export function stackConfig(stack: string, stackFile?: string): Record<string, string> {
  const file = stackFile ?? path.join(ROOT, `Pulumi.${stack}.yaml`);
  const doc = (parse(readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(doc.config ?? {})) config[key] = encode(value);
  return config;
}

function encode(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Exported by the runtime but missing from its type declarations. */
const waitForRPCs = (settings as unknown as { waitForRPCs: () => Promise<void> }).waitForRPCs;

let running = false;

export async function runProgram(options: RunOptions): Promise<ProgramRun> {
  if (running) throw new Error("runProgram: one program at a time (Pulumi's runtime is global)");
  running = true;
  // Pulumi captures a stack trace per resource: most of the cost under mocks (see test/setup.ts).
  const traceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return await run(options);
  } finally {
    Error.stackTraceLimit = traceLimit;
    running = false;
  }
}

async function run(options: RunOptions): Promise<ProgramRun> {
  const config = stackConfig(options.stack, options.stackFile);
  for (const [key, value] of Object.entries(options.config ?? {}))
    config[`${PROJECT}:${key}`] = encode(value);
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(options.secrets ?? {})) {
    config[`${PROJECT}:${key}`] = value;
    secretKeys.push(`${PROJECT}:${key}`);
  }

  const inputs = new Map<string, { inputs: Record<string, unknown> }>();
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const given = args.inputs as Record<string, unknown>;
        inputs.set(`${args.type}::${args.name}`, { inputs: given });
        return { id: `${args.name}-id`, state: { ...given, ...mockState(args) } };
      },
      call: (args) => args.inputs as Record<string, unknown>,
    },
    PROJECT,
    options.stack,
    false,
  );
  pulumi.runtime.setAllConfig(config, secretKeys);

  type Request = {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getDependenciesList(): string[];
    getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
  };
  const requests: {
    type: string;
    name: string;
    parentUrn: string;
    custom: boolean;
    deps: string[];
    secrets: string[];
  }[] = [];
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: Request, cb: (err: unknown, res: unknown) => void): void;
  };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    requests.push({
      type: req.getType(),
      name: req.getName(),
      parentUrn: req.getParent(),
      custom: req.getCustom(),
      deps: req.getDependenciesList(),
      secrets: secretPaths(req.getObject()?.toJavaScript() ?? {}),
    });
    original(req, cb);
  };

  const program = options.program ?? PROGRAM;
  delete require.cache[require.resolve(program)];
  const started = performance.now();
  // require, not import(): under mocha the TypeScript loader (tsx/cjs) hooks require only.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exports = require(program) as Record<string, unknown>;
  await waitForRPCs();
  const programMs = performance.now() - started;
  const outputs = await resolveOutputs(exports);
  await waitForRPCs();

  const urnName = (urn: string): string => urn.slice(urn.lastIndexOf("::") + 2);
  const resources = requests.map((req) => ({
    type: req.type,
    name: req.name,
    urn: "",
    parent:
      req.parentUrn && !req.parentUrn.includes("pulumi:pulumi:Stack")
        ? urnName(req.parentUrn)
        : undefined,
    custom: req.custom,
    inputs: inputs.get(`${req.type}::${req.name}`)?.inputs ?? {},
    dependsOn: [...new Set(req.deps.map(urnName))].sort(),
    secretInputs: req.secrets,
  }));
  return { resources, outputs, config, programMs };
}

/** Outputs the provider computes that the program reads (RemoteImage.imageId). */
function mockState(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  if (args.type === "docker:index/remoteImage:RemoteImage") {
    return { imageId: `sha256:${String((args.inputs as { name?: string }).name)}` };
  }
  return {};
}

/** Paths of the inputs sent to the engine as secrets (Pulumi's secret signature). */
function secretPaths(value: unknown, at = ""): string[] {
  if (value === null || typeof value !== "object") return [];
  const record = value as Record<string, unknown>;
  if (record["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270")
    return [at || "."];
  return Object.entries(record).flatMap(([key, child]) =>
    secretPaths(child, at ? `${at}.${key}` : key),
  );
}

async function resolveOutputs(exports: Record<string, unknown>): Promise<Record<string, unknown>> {
  const resolved: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(exports)) {
    if (key === "__esModule" || key === "default") continue;
    resolved[key] = await new Promise((resolve) =>
      (pulumi.output(value) as pulumi.Output<unknown>).apply(resolve),
    );
  }
  return resolved;
}

/** The resources of one type (e.g. "docker:index/container:Container"). */
export function ofType(run: ProgramRun, type: string): RegisteredResource[] {
  return run.resources.filter((resource) => resource.type === type);
}
