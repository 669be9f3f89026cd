import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";

/**
 * Runs Pulumi code under `pulumi.runtime.setMocks` and returns every resource it registered:
 * type, name, URN, parent, inputs, dependsOn and aliases, which the mock API does not expose
 * (read here from the monitor's RegisterResourceRequest). `captureRegistrations` takes any
 * program (a component, src/index.ts); `runProgram` runs src/index.ts for one stack with that
 * stack's real config. For the Docker, Kubernetes and rehearsal tests alike, and at runtime for
 * `cascade rehearse`, which deploys exactly what the program registers
 * (test/support/pulumi-harness.ts re-exports this module).
 */

export const PROJECT = "cascade";
const ROOT = path.join(__dirname, "..", "..");
const PROGRAM = path.join(ROOT, "src", "index.ts");

export interface RegisteredResource {
  type: string;
  name: string;
  /** The URN the engine gives it (the mock monitor's own drops all but the nearest parent type). */
  urn: string;
  /** The parent's name, or undefined for the stack's direct children. */
  parent?: string;
  parentUrn?: string;
  custom: boolean;
  /** Inputs as the provider would get them (secrets unwrapped, see `secretInputs`). */
  inputs: Record<string, unknown>;
  /** Names of the resources it depends on: explicit dependsOn plus those its inputs come from. */
  dependsOn: string[];
  /** URNs of the same. */
  dependencyUrns: string[];
  /** The URNs its own `aliases` option names (not those the engine derives from its parent's). */
  aliasUrns: string[];
  /** Paths of the inputs sent to the engine as secrets ("." when the whole value is). */
  secretInputs: string[];
}

export interface Capture<T> {
  /** What the program returned, awaited. */
  value: T;
  resources: RegisteredResource[];
  /** Milliseconds from starting the program until every registration finished. */
  programMs: number;
}

export interface CaptureOptions {
  stack: string;
  /** The whole config (`cascade:fleet`, ...) as the engine hands it over: every value as text. */
  config?: Record<string, string>;
  /** Config keys whose values are secrets. */
  secretKeys?: string[];
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

/**
 * src/index.ts (or `program`) for one stack, with its stack file's config plus overrides, in the
 * project directory as the engine runs it (the stack's paths are relative to it), whatever the
 * working directory of the caller.
 */
export async function runProgram(options: RunOptions): Promise<ProgramRun> {
  const config = stackConfig(
    options.stack,
    options.stackFile === undefined ? undefined : path.resolve(options.stackFile),
  );
  for (const [key, value] of Object.entries(options.config ?? {}))
    config[`${PROJECT}:${key}`] = encode(value);
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(options.secrets ?? {})) {
    config[`${PROJECT}:${key}`] = value;
    secretKeys.push(`${PROJECT}:${key}`);
  }
  const program = options.program ?? PROGRAM;
  const cwd = process.cwd();
  process.chdir(ROOT);
  const capture = await captureRegistrations(
    () => {
      delete require.cache[require.resolve(program)];
      // require, not import(): under mocha the TypeScript loader (tsx/cjs) hooks require only.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(program) as Record<string, unknown>;
    },
    { stack: options.stack, config, secretKeys },
  ).finally(() => process.chdir(cwd));
  const outputs = await resolveOutputs(capture.value);
  return { resources: capture.resources, outputs, config, programMs: capture.programMs };
}

/** Exported by the runtime but missing from its type declarations. */
const waitForRPCs = (settings as unknown as { waitForRPCs: () => Promise<void> }).waitForRPCs;

let running = false;

/**
 * Runs `program` under fresh mocks for `options.stack` and records every registration. One at a
 * time: Pulumi's runtime is global.
 */
export async function captureRegistrations<T>(
  program: () => T,
  options: CaptureOptions,
): Promise<Capture<T>> {
  if (running)
    throw new Error("captureRegistrations: one program at a time (Pulumi's runtime is global)");
  running = true;
  // Pulumi captures a stack trace per resource: under mocks, most of the cost (about 60 ms per
  // container with traces, 7 ms without). Only for the program: failing tests keep their stacks.
  const traceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return await capture(program, options);
  } finally {
    Error.stackTraceLimit = traceLimit;
    running = false;
  }
}

interface Request {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getDependenciesList(): string[];
  getAliasesList(): AliasMessage[];
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}

interface AliasMessage {
  getUrn(): string;
  getSpec():
    | { getName(): string; getType(): string; getParenturn(): string; getNoparent(): boolean }
    | undefined;
}

interface Monitor {
  registerResource(
    req: Request,
    cb: (err: unknown, res: { setUrn(urn: string): void } | undefined) => void,
  ): void;
  registerResourceOutputs(req: { getUrn(): string; setUrn(urn: string): void }, cb: unknown): void;
}

async function capture<T>(program: () => T, options: CaptureOptions): Promise<Capture<T>> {
  const inputs = new Map<string, Record<string, unknown>>();
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const given = args.inputs as Record<string, unknown>;
        inputs.set(`${args.type}::${args.name}`, given);
        return { id: `${args.name}-id`, state: { ...given, ...mockState(args) } };
      },
      call: (args) => args.inputs as Record<string, unknown>,
    },
    PROJECT,
    options.stack,
    false,
  );
  pulumi.runtime.setAllConfig(options.config ?? {}, options.secretKeys ?? []);

  const urns = new Urns(options.stack);
  const resources: RegisteredResource[] = [];
  const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const resource = registration(req, urns);
    resources.push(resource);
    register(req, (err, res) => {
      // The SDK resolves `resource.urn` (and so its children's parents) from this answer.
      res?.setUrn(resource.urn);
      cb(err, res);
    });
  };
  const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, cb) => {
    req.setUrn(urns.mockUrn(req.getUrn()));
    registerOutputs(req, cb);
  };

  const started = performance.now();
  const value = await program();
  await waitForRPCs();
  const programMs = performance.now() - started;
  for (const resource of resources) {
    resource.inputs = inputs.get(`${resource.type}::${resource.name}`) ?? {};
  }
  return { value, resources, programMs };
}

function registration(req: Request, urns: Urns): RegisteredResource {
  const parentUrn = isStack(req.getParent()) ? undefined : req.getParent();
  const type = req.getType();
  const name = req.getName();
  const dependencyUrns = [...new Set(req.getDependenciesList())].sort();
  return {
    type,
    name,
    urn: urns.register(parentUrn, type, name),
    parent: parentUrn && nameOf(parentUrn),
    parentUrn,
    custom: req.getCustom(),
    inputs: {},
    dependsOn: [...new Set(dependencyUrns.map(nameOf))].sort(),
    dependencyUrns,
    aliasUrns: req.getAliasesList().map((alias) => urns.alias(alias, parentUrn, type, name)),
    secretInputs: secretPaths(req.getObject()?.toJavaScript() ?? {}),
  };
}

/** URNs as the engine computes them: every ancestor's type, the stack itself left out. */
class Urns {
  private readonly mock = new Map<string, string>();

  constructor(private readonly stack: string) {}

  register(parentUrn: string | undefined, type: string, name: string): string {
    const urn = this.urn(parentUrn, type, name);
    this.mock.set(urn, mockUrn(parentUrn, type, name, this.stack));
    return urn;
  }

  /** The mock monitor's URN for one of ours, for the calls it answers by URN. */
  mockUrn(urn: string): string {
    return this.mock.get(urn) ?? urn;
  }

  urn(parentUrn: string | undefined, type: string, name: string): string {
    const prefix = parentUrn
      ? `${parentUrn.slice(0, parentUrn.lastIndexOf("::"))}$`
      : `urn:pulumi:${this.stack}::${PROJECT}::`;
    return `${prefix}${type}::${name}`;
  }

  /** An alias as a URN: a spec's empty name or type are the resource's own, its parent as given. */
  alias(alias: AliasMessage, parentUrn: string | undefined, type: string, name: string): string {
    const spec = alias.getSpec();
    if (!spec) return alias.getUrn();
    const parent = spec.getNoparent() ? undefined : spec.getParenturn() || parentUrn;
    return this.urn(parent, spec.getType() || type, spec.getName() || name);
  }
}

/** The mock monitor's URN: the nearest parent's type only (runtime/mocks.js `newUrn`). */
function mockUrn(parentUrn: string | undefined, type: string, name: string, stack: string): string {
  const parentType = parentUrn?.split("::")[2].split("$").pop();
  return `urn:pulumi:${stack}::${PROJECT}::${parentType ? `${parentType}$` : ""}${type}::${name}`;
}

/** The stack itself: its children's URNs leave it out, as if they had no parent. */
function isStack(urn: string): boolean {
  return urn === "" || urn.includes("::pulumi:pulumi:Stack::");
}

function nameOf(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
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
export function ofType(
  run: { resources: RegisteredResource[] },
  type: string,
): RegisteredResource[] {
  return run.resources.filter((resource) => resource.type === type);
}
