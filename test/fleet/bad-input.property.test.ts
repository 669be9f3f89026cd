import { strict as assert } from "node:assert";
import fc from "fast-check";
import { FleetError, parseFleet } from "../../src/fleet/loader";
import type { Fleet } from "../../src/fleet/model";
import { kebabName } from "../../src/fleet/names";
import { VALID_FLEET } from "../support/fleet-fixture";
import { fleetViolations } from "../support/fleet-invariants";
import { aliasBomb, anchorReuse, mutatedFleet, riskyFleet } from "../support/fleet-fuzz";

/** A problem line: "file:line:col: " and then text, with nothing that could start another line. */
const POSITIONED = /^fuzz\.yaml:\d+:\d+: [^\n\r\u0085\u2028\u2029]+$/;

type Outcome = { fleet: Fleet } | { errors: string[] };

/** Loads `text`; anything thrown but a FleetError fails the property (a crash). */
function load(text: string): Outcome {
  try {
    return { fleet: parseFleet(text, "fuzz.yaml", { gpuAvailable: true }) };
  } catch (error) {
    if (error instanceof FleetError) return { errors: error.errors };
    throw error;
  }
}

/** Accepted fleets are sound; rejected ones print every problem positioned, one line each. */
function assertHoldsUp(text: string): Outcome {
  const outcome = load(text);
  if ("fleet" in outcome) {
    assert.deepEqual(fleetViolations(outcome.fleet), [], "wrongly accepted");
  } else {
    assert.ok(outcome.errors.length > 0);
    for (const line of outcome.errors) assert.match(line, POSITIONED);
  }
  return outcome;
}

/** The base fleet with `from` replaced by `to` (the first occurrence). */
function edit(from: string, to: string): string {
  assert.ok(VALID_FLEET.includes(from), `fixture has no ${JSON.stringify(from)}`);
  return VALID_FLEET.replace(from, to);
}

describe("bad input (generated)", () => {
  it("the base fleet is valid", () => {
    assert.ok("fleet" in assertHoldsUp(VALID_FLEET));
  });

  it("mutated fleets never crash, never go unpositioned, never load unsound", () => {
    fc.assert(
      fc.property(mutatedFleet(), (text) => void assertHoldsUp(text)),
      { numRuns: 400 },
    );
  });

  it("fleets of risky names, durations and templates: the same", () => {
    fc.assert(
      fc.property(riskyFleet, (text) => void assertHoldsUp(text)),
      { numRuns: 300 },
    );
  });

  it("any agent name: accepted exactly when it is safe, short and unique once converted", () => {
    const anyName = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,80}$/),
    );
    fc.assert(
      fc.property(anyName, anyName, (first, second) => {
        const text = edit("- name: Twin", `- name: ${JSON.stringify(first)}`)
          .replace("- name: Late", `- name: ${JSON.stringify(second)}`)
          .replace("depends_on: [Registry]", "depends_on: []")
          .replace("depends_on: [Twin]", "depends_on: [Registry]");
        const outcome = assertHoldsUp(text);
        const names = ["Registry", first, "Models", second];
        const converted = names.map(kebabName);
        const safe =
          names.every((name) => /^[A-Za-z][A-Za-z0-9_-]*$/.test(name)) &&
          converted.every(
            (name) =>
              name.length <= 63 &&
              !["prometheus", "grafana", "files", "files-seeder"].includes(name),
          ) &&
          new Set(converted).size === 4;
        assert.equal("fleet" in outcome, safe, JSON.stringify(names));
      }),
      { numRuns: 300 },
    );
  });

  it("any interval: accepted exactly when it is above 0 and fits Docker's int64 nanoseconds", () => {
    const anyDuration = fc.oneof(
      fc.stringMatching(/^\d{1,25}(?:\.\d{1,6})?(?:ms|s|m|h)$/),
      fc.string({ maxLength: 12 }),
    );
    fc.assert(
      fc.property(anyDuration, (interval) => {
        const outcome = assertHoldsUp(
          edit("interval: 5s", `interval: ${JSON.stringify(interval)}`),
        );
        if ("fleet" in outcome) {
          const seconds = outcome.fleet.agents[0].health.intervalSeconds;
          assert.ok(seconds > 0 && seconds * 1e9 <= 2 ** 63, interval);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("any text in a name, an image or a key prints as one line per problem", () => {
    const hostile = fc.string({
      maxLength: 30,
      unit: fc.constantFrom(
        "a",
        "\n",
        "\r",
        "\u2028",
        "\u0085",
        "\u202e",
        ":",
        '"',
        "\\",
        "\u0000",
      ),
    });
    fc.assert(
      fc.property(hostile, hostile, (name, key) => {
        const text = edit(
          "- name: Twin",
          `- name: ${JSON.stringify(name)}\n        ${JSON.stringify(key)}: 1`,
        ).replace("image: cascade/late", `image: ${JSON.stringify(name)}`);
        const outcome = assertHoldsUp(text);
        assert.ok("errors" in outcome, "the extra key is always unknown");
      }),
      { numRuns: 300 },
    );
  });

  it("alias bombs are refused at an alias; an anchor shared by hundreds of agents is valid", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 6, max: 14 }),
        fc.integer({ min: 6, max: 10 }),
        (levels, fanout) => {
          const outcome = assertHoldsUp(aliasBomb(levels, fanout));
          assert.ok("errors" in outcome && outcome.errors.some((line) => /alias bomb/.test(line)));
        },
      ),
      { numRuns: 20 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), (agents) => {
        const outcome = assertHoldsUp(anchorReuse(agents));
        assert.ok("fleet" in outcome && outcome.fleet.agents.length === agents);
      }),
      { numRuns: 10 },
    );
  });

  it("an unknown reference of any length gets a bounded, positioned answer", () => {
    fc.assert(
      fc.property(
        // Two or more: `Registr` + one `y` is the agent Registry, which depends_on resolves.
        fc.integer({ min: 2, max: 50_000 }),
        fc.constantFrom("depends_on", "template", "wave"),
        (length, field) => {
          const long = `Registr${"y".repeat(length)}`;
          const text =
            field === "depends_on"
              ? edit("depends_on: [Registry]", `depends_on: [${long}]`)
              : field === "template"
                ? edit("{ template: lightweight_check }", `{ template: ${long} }`)
                : edit("    wave: wave_2", `    wave: ${long}`);
          const outcome = assertHoldsUp(text);
          assert.ok("errors" in outcome);
          assert.ok(
            outcome.errors.every((line) => line.length < 600),
            "the long name is not echoed whole",
          );
        },
      ),
      { numRuns: 30 },
    );
  });
});
