import { execFileSync } from "node:child_process";
import { join } from "node:path";

/** Builds probe/ (Go caches it) and returns the binary's path, for the suites that run or upload it. */
export function buildProbe(): string {
  return execFileSync(join(__dirname, "../../probe/build.sh"), { encoding: "utf8" }).trim();
}
