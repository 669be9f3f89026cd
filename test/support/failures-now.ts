import { inspect } from "node:util";

/**
 * Mocha prints a failure's error only when the whole run ends. A lane that runs for many minutes
 * (or a CI run stopped at its time limit) should show it when it happens.
 */
export const mochaHooks = {
  afterEach(this: Mocha.Context): void {
    const test = this.currentTest;
    if (test?.state !== "failed") return;
    console.log(`      FAILED: ${test.fullTitle()}\n${indent(inspect(test.err))}`);
  },
};

const indent = (text: string): string => text.replace(/^/gm, "        ");
