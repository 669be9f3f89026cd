import { strict as assert } from "node:assert";
import fc from "fast-check";
import {
  numberFlag,
  POSITIVE_INTEGER,
  ROLLOUT_OPTIONS,
  parseCommandLine,
  rolloutFlags,
  type NumberRule,
} from "../../src/cli/args";
import { EXIT, UsageError } from "../../src/cli/errors";
import { main } from "../../src/cli/main";

const RULES: [string, NumberRule][] = [
  ["a positive whole number", POSITIVE_INTEGER],
  ["a number in (0, 10]", { above: 0, max: 10 }],
  ["a number of at least 10", { min: 10 }],
];

function fits(number: number, rule: NumberRule): boolean {
  return (
    Number.isFinite(number) &&
    (!rule.integer || Number.isInteger(number)) &&
    number >= (rule.min ?? -Infinity) &&
    number > (rule.above ?? -Infinity) &&
    number <= (rule.max ?? Infinity)
  );
}

/** Runs the cli, returning its exit code and what it wrote to stderr. */
async function cli(...argv: string[]): Promise<{ code: number; stderr: string }> {
  const original = console.error;
  let stderr = "";
  console.error = (...parts: unknown[]) => (stderr += `${parts.join(" ")}\n`);
  try {
    return { code: await main(argv), stderr };
  } finally {
    console.error = original;
  }
}

describe("cli arguments", () => {
  for (const [description, rule] of RULES) {
    it(`checks ${description}: any text is that number, or a usage error naming flag and value`, () => {
      const text = fc.oneof(
        fc.string(),
        fc.double().map(String),
        fc.integer({ min: -20, max: 20 }).map(String),
        fc.constantFrom("", " ", "1e3", "0x10", "Infinity", "NaN", "5.", "-0"),
      );
      fc.assert(
        fc.property(text, (value) => {
          try {
            const number = numberFlag(value, "--flag", rule, "usage");
            assert.ok(number !== undefined && fits(number, rule), `${value} -> ${number}`);
            assert.equal(number, Number(value));
          } catch (error) {
            assert.ok(error instanceof UsageError, String(error));
            assert.equal(error.message, `--flag must be ${description}, not "${value}"`);
            assert.equal(error.usage, "usage");
            assert.ok(value.trim() === "" || !fits(Number(value), rule), value);
          }
        }),
      );
    });
  }

  it("leaves a flag that is not given undefined", () => {
    assert.equal(numberFlag(undefined, "--flag", POSITIVE_INTEGER, "usage"), undefined);
  });

  it("parses the flags deploy and rollback share, once for both", () => {
    const { values } = parseCommandLine(
      ["--stack", "mainpc", "--yes", "--poll-interval", "5", "--verify-window", "60"],
      ROLLOUT_OPTIONS,
      "usage",
    );
    assert.deepEqual(rolloutFlags(values, "usage"), {
      stack: "mainpc",
      yes: true,
      metricsFile: undefined,
      pollIntervalSeconds: 5,
      verifyWindowSeconds: 60,
    });
    assert.throws(() => rolloutFlags({ yes: true }, "usage"), /--stack NAME is required/);
  });

  it("exits 2 with the usage on a bad number, before touching any stack", async () => {
    for (const argv of [
      ["deploy", "--stack", "mainpc", "--poll-interval", "0"],
      ["rollback", "--stack", "mainpc", "--to", "two"],
      ["rehearse", "--stack", "mainpc", "--scale", "11"],
      ["rehearse", "--stack", "mainpc", "--poll-ms", "5"],
    ]) {
      const { code, stderr } = await cli(...argv);
      assert.equal(code, EXIT.usage, argv.join(" "));
      assert.match(
        stderr,
        new RegExp(`${argv[3]} must be .*, not "${argv[4]}"[\\s\\S]*usage: cascade ${argv[0]}`),
      );
    }
  });
});
