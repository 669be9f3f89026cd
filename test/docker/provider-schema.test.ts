import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import path from "node:path";
import { runProgram, type ProgramRun } from "../support/pulumi-harness";
import { missingEngine, ROOT, script, skipOrFail } from "../support/engine";

/**
 * The Docker provider built here (tools/pulumi-docker, bridged from the Terraform provider) must
 * understand every input the npm SDK @pulumi/docker sends for cascade: every property the SDK's
 * resource classes cascade uses can send exists in the provider's schema under the same name, and
 * every value the program actually sends for the mainpc and pc2 stacks has the schema's type. A
 * renamed or retyped property would otherwise be dropped or rejected only on a real host.
 */

interface TypeSpec {
  type?: string;
  $ref?: string;
  items?: TypeSpec;
  additionalProperties?: TypeSpec;
  oneOf?: TypeSpec[];
}
interface ObjectSpec {
  properties?: Record<string, TypeSpec>;
  inputProperties?: Record<string, TypeSpec>;
}
interface PackageSchema {
  version: string;
  provider: ObjectSpec;
  resources: Record<string, ObjectSpec>;
  types: Record<string, ObjectSpec & TypeSpec>;
}

const SDK_DIR = path.join(ROOT, "node_modules/@pulumi/docker");
/** The SDK classes cascade creates, by type token, and the file each is defined in. */
const USED = {
  "pulumi:providers:docker": "provider.js",
  "docker:index/container:Container": "container.js",
  "docker:index/network:Network": "network.js",
  "docker:index/volume:Volume": "volume.js",
  "docker:index/remoteImage:RemoteImage": "remoteImage.js",
} as const;

/** The input names an SDK class sends: its `resourceInputs["name"] = args...` lines. */
function sdkInputNames(file: string): string[] {
  const source = readFileSync(path.join(SDK_DIR, file), "utf8");
  const names = [...source.matchAll(/resourceInputs\["(\w+)"\] = (?:pulumi\.output\()?\(?args\?/g)];
  return [...new Set(names.map((m) => m[1]))].sort();
}

function inputsOf(schema: PackageSchema, token: string): Record<string, TypeSpec> {
  if (token.startsWith("pulumi:providers:")) return schema.provider.inputProperties ?? {};
  const resource = schema.resources[token];
  assert.ok(resource, `the provider has no resource ${token}`);
  return resource.inputProperties ?? {};
}

/** Where `value` does not have the schema type `spec`, as "path: why"; empty when it does. */
function typeErrors(schema: PackageSchema, spec: TypeSpec, value: unknown, at: string): string[] {
  if (value === undefined || value === null) return [];
  if (spec.oneOf) {
    return spec.oneOf.some((option) => typeErrors(schema, option, value, at).length === 0)
      ? []
      : [`${at}: matches none of ${JSON.stringify(spec.oneOf)}`];
  }
  if (spec.$ref) {
    if (spec.$ref.startsWith("pulumi.json#/")) return [];
    const object = schema.types[decodeURIComponent(spec.$ref.replace(/^#\/types\//, ""))];
    if (!object) return [`${at}: dangling reference ${spec.$ref}`];
    if (object.type !== "object") return typeErrors(schema, object, value, at);
    return objectErrors(schema, object.properties ?? {}, value, at);
  }
  const actual = Array.isArray(value) ? "array" : typeof value;
  switch (spec.type) {
    case "array":
      if (!Array.isArray(value)) return [`${at}: expected an array, got ${actual}`];
      return value.flatMap((item, i) => typeErrors(schema, spec.items ?? {}, item, `${at}[${i}]`));
    case "object":
      if (actual !== "object") return [`${at}: expected an object, got ${actual}`];
      return Object.entries(value).flatMap(([key, item]) =>
        typeErrors(schema, spec.additionalProperties ?? {}, item, `${at}.${key}`),
      );
    case "integer":
      return Number.isInteger(value)
        ? []
        : [`${at}: expected an integer, got ${JSON.stringify(value)}`];
    case "number":
    case "string":
    case "boolean":
      return actual === spec.type ? [] : [`${at}: expected ${spec.type}, got ${actual}`];
    default:
      return [];
  }
}

function objectErrors(
  schema: PackageSchema,
  properties: Record<string, TypeSpec>,
  value: unknown,
  at: string,
): string[] {
  if (typeof value !== "object" || Array.isArray(value)) return [`${at}: expected an object`];
  return Object.entries(value as object).flatMap(([key, item]) => {
    const spec = properties[key];
    if (!spec) return [`${at}.${key}: not in the provider's schema`];
    return typeErrors(schema, spec, item, `${at}.${key}`);
  });
}

/** A provider's inputs travel as strings, JSON for anything but a string: decode them. */
function providerInputs(inputs: Record<string, unknown>): Record<string, unknown> {
  const decoded: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(inputs)) {
    try {
      decoded[key] = typeof value === "string" ? (JSON.parse(value) as unknown) : value;
    } catch {
      decoded[key] = value;
    }
  }
  return decoded;
}

describe("Docker provider schema against the npm SDK", function () {
  let schema: PackageSchema;
  const runs: ProgramRun[] = [];

  before(async function () {
    const missing = missingEngine(["pulumi-docker"]);
    if (missing) return skipOrFail(this, `the Docker provider is not built (${missing})`);
    const bin = script("build-engine.sh", ["path", "pulumi-docker"]).stdout.trim();
    schema = JSON.parse(readFileSync(path.join(bin, "..", "schema.json"), "utf8")) as PackageSchema;
    for (const stack of ["mainpc", "pc2"]) runs.push(await runProgram({ stack }));
  });

  it("is versioned as the npm SDK, which asks the engine for that version", () => {
    const sdk = JSON.parse(readFileSync(path.join(SDK_DIR, "package.json"), "utf8")) as {
      version: string;
    };
    assert.equal(schema.version, sdk.version);
  });

  for (const [token, file] of Object.entries(USED)) {
    it(`knows every input @pulumi/docker's ${file} sends, by name`, () => {
      const known = inputsOf(schema, token);
      const unknown = sdkInputNames(file).filter((name) => !(name in known));
      assert.deepEqual(unknown, [], `${token}: inputs the provider does not know`);
    });
  }

  it("accepts every value cascade sends for the mainpc and pc2 stacks, by type", () => {
    let checked = 0;
    const errors = runs.flatMap((run) =>
      run.resources
        .filter((resource) => resource.custom && resource.type in USED)
        .flatMap((resource) => {
          checked++;
          const inputs = resource.type.startsWith("pulumi:providers:")
            ? providerInputs(resource.inputs)
            : resource.inputs;
          return objectErrors(
            schema,
            inputsOf(schema, resource.type),
            inputs,
            `${resource.type}::${resource.name}`,
          );
        }),
    );
    assert.deepEqual(errors, []);
    assert.ok(checked > 60, `only ${checked} resources checked`);
  });
});
