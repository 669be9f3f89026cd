/**
 * The Pulumi program under mocks, for tests. The capture itself lives in src/rehearse/capture.ts
 * because `cascade rehearse` runs it too (one code path for what the program registers).
 */
export * from "../../src/rehearse/capture";
