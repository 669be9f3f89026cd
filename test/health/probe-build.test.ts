import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { openSync, readSync, closeSync } from "node:fs";
import { join } from "node:path";

/** ELF e_machine (bytes 18-19, little-endian): 0x3e x86-64, 0xb7 aarch64. */
function elfMachine(file: string): number {
  const header = Buffer.alloc(20);
  const fd = openSync(file, "r");
  readSync(fd, header, 0, 20, 0);
  closeSync(fd);
  assert.equal(header.toString("latin1", 1, 4), "ELF", `${file} is not an ELF binary`);
  return header.readUInt16LE(18);
}

const BUILD = join(__dirname, "../../probe/build.sh");
const MACHINE: Record<string, number> = { amd64: 0x3e, arm64: 0xb7 };

describe("probe/build.sh", function () {
  this.timeout(300_000);

  it("a cross build (GOARCH) goes to its own file and leaves this machine's probe alone", () => {
    const run = (env: NodeJS.ProcessEnv) =>
      execFileSync(BUILD, { encoding: "utf8", env: { ...process.env, ...env } }).trim();
    const native = run({ GOARCH: "", GOOS: "" });
    const nativeArch = execFileSync("go", ["env", "GOARCH"], { encoding: "utf8" }).trim();
    const other = nativeArch === "arm64" ? "amd64" : "arm64";
    const cross = run({ GOARCH: other });
    assert.notEqual(cross, native);
    assert.match(cross, new RegExp(`cascade-probe-linux-${other}$`));
    assert.equal(elfMachine(cross), MACHINE[other]);
    assert.equal(elfMachine(native), MACHINE[nativeArch], "the native probe was replaced");
  });
});
