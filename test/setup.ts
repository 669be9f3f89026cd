import { execFileSync } from "node:child_process";
import { join } from "node:path";

// Pulumi captures a stack trace for every resource it registers; under mocks that is most of
// the cost of a test (about 60 ms per container with traces, 7 ms without).
Error.stackTraceLimit = 0;

/** The Docker target uploads the health probe binary, so every run needs it built (Go caches it). */
export const mochaHooks = {
  beforeAll(): void {
    execFileSync(join(__dirname, "../probe/build.sh"), { stdio: "ignore" });
  },
};
