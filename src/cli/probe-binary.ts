import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { PROJECT_ROOT } from "./fleet-input";

/** Where probe/build.sh puts the probe for this machine (the stack's default cascade:probeBinary). */
export const PROBE_BINARY = path.join(PROJECT_ROOT, "probe", "dist", "cascade-probe");

/**
 * The health probe every stand-in's healthcheck runs: built with probe/build.sh when it is
 * missing and Go is here (seconds; later builds are cached). Undefined when it is there, else
 * why it is not.
 */
export function ensureProbe(say: (line: string) => void): string | undefined {
  if (existsSync(PROBE_BINARY)) return undefined;
  try {
    execFileSync("go", ["version"], { stdio: "ignore" });
  } catch {
    return "the health probe (probe/dist/cascade-probe) is not built and Go is not installed to build it (then run probe/build.sh)";
  }
  say("building the health probe: probe/build.sh (Go, standard library only)");
  try {
    execFileSync(path.join(PROJECT_ROOT, "probe", "build.sh"), {
      stdio: ["ignore", "ignore", "pipe"],
    });
    return undefined;
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? "").trim();
    return `probe/build.sh failed${stderr ? `: ${stderr.split("\n").pop()}` : ""}`;
  }
}
