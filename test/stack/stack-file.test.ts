import { strict as assert } from "node:assert";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { FleetError } from "../../src/fleet/loader";
import { readStackFile, requireFleetFile } from "../../src/stack/stack-file";

describe("stack files (Pulumi.<stack>.yaml)", () => {
  let root = "";
  const errorsOf = (stack: string): string[] => {
    try {
      readStackFile(root, stack);
    } catch (error) {
      if (error instanceof FleetError) return error.errors;
      throw error;
    }
    return assert.fail("expected the stack file to be rejected");
  };

  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), "cascade-stack-"));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const write = (stack: string, text: string) =>
    writeFileSync(path.join(root, `Pulumi.${stack}.yaml`), text);

  it("points at the cascade:fleet line when the fleet file it names is missing", () => {
    write("host", "config:\n  cascade:gpu: true\n  cascade:fleet: fleet/nope.yaml\n");
    const stack = readStackFile(root, "host");
    let errors: string[] = [];
    try {
      requireFleetFile(stack);
    } catch (error) {
      if (error instanceof FleetError) errors = error.errors;
    }
    assert.equal(errors.length, 1);
    assert.match(
      errors[0],
      /Pulumi\.host\.yaml:3:18: config\.cascade:fleet: ".*fleet\/nope\.yaml": no such fleet file; check the path$/,
    );
    mkdirSync(path.join(root, "fleet"));
    writeFileSync(path.join(root, "fleet/nope.yaml"), "host: h\n");
    assert.doesNotThrow(() => requireFleetFile(readStackFile(root, "host")));
  });

  it("positions an alias without an anchor, and says an empty stack file is empty", () => {
    write("host", "config:\n  cascade:fleet: *nope\n");
    assert.deepEqual(errorsOf("host").length, 1);
    assert.match(errorsOf("host")[0], /Pulumi\.host\.yaml:2:18: alias \*nope has no anchor/);
    write("host", "# nothing yet\n");
    assert.match(errorsOf("host")[0], /Pulumi\.host\.yaml:1:1: the stack file of "host" is empty/);
  });

  it("cannot be given settings through cascade:__proto__", () => {
    write("host", "config:\n  cascade:__proto__: { fleet: f.yaml }\n");
    const errors = errorsOf("host");
    assert.ok(
      errors.some((line) => /config\.cascade:__proto__: unknown key "__proto__"/.test(line)),
      errors.join("\n"),
    );
    assert.ok(
      errors.some((line) => /config\.cascade:fleet: missing/.test(line)),
      errors.join("\n"),
    );
  });

  it("reads the settings with their defaults and resolves the fleet file", () => {
    writeFileSync(
      path.join(root, "Pulumi.host.yaml"),
      "config:\n  cascade:fleet: fleet/host.yaml\n  cascade:gpu: true\n",
    );
    const { settings, fleetPath } = readStackFile(root, "host");
    assert.equal(settings.gpu, true);
    assert.equal(settings.ordering, "waves");
    assert.equal(path.resolve(fleetPath), path.join(root, "fleet/host.yaml"));
  });

  it("names the stacks that exist when the stack file does not", () => {
    writeFileSync(path.join(root, "Pulumi.mainpc.yaml"), "config: {}\n");
    const [error] = errorsOf("mainp");
    assert.match(
      error,
      /no such stack file; the stacks here are "mainpc"\. Did you mean "mainpc"\?$/,
    );
  });

  it("rejects a bad value and a plain-text secret, each at its line", () => {
    writeFileSync(
      path.join(root, "Pulumi.host.yaml"),
      "config:\n  cascade:fleet: f.yaml\n  cascade:ordering: wavez\n  cascade:registryPassword: hunter2\n",
    );
    const errors = errorsOf("host");
    assert.equal(errors.length, 2);
    assert.match(errors[0], /Pulumi\.host\.yaml:3:21: config\.cascade:ordering: /);
    assert.match(
      errors[1],
      /Pulumi\.host\.yaml:4:29: .*pulumi config set --secret cascade:registryPassword/,
    );
    assert.ok(
      errors.every((line) => !line.includes("hunter2")),
      "the secret is never echoed",
    );
  });

  it("rejects an unknown setting at its key", () => {
    writeFileSync(
      path.join(root, "Pulumi.host.yaml"),
      "config:\n  cascade:fleet: f.yaml\n  cascade:gpus: true\n",
    );
    assert.deepEqual(errorsOf("host").length, 1);
    assert.match(errorsOf("host")[0], /:3:3: .*unknown key "gpus"/);
  });
});
