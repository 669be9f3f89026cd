import { strict as assert } from "node:assert";
import fc from "fast-check";
import { boundedEditDistance, formatFieldPath, quote, Suggester } from "../../src/fleet/problems";

/** The textbook Levenshtein distance, quadratic: the reference for the banded one. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length];
}

describe("problem messages", () => {
  it("the banded edit distance equals the full one up to its limit", () => {
    const word = fc.string({ maxLength: 12, unit: fc.constantFrom("a", "b", "c") });
    fc.assert(
      fc.property(word, word, fc.nat({ max: 6 }), (a, b, limit) => {
        assert.equal(boundedEditDistance(a, b, limit), Math.min(editDistance(a, b), limit + 1));
      }),
    );
  });

  it("suggests a close name, and nothing for a name far from every known one", () => {
    const suggester = new Suggester(["Registry", "ModelManagerSuite", "Twin"]);
    assert.equal(suggester.didYouMean("Regsitry"), ' Did you mean "Registry"?');
    assert.equal(suggester.didYouMean("modelmanagersuit"), ' Did you mean "ModelManagerSuite"?');
    assert.equal(suggester.didYouMean("Prometheus"), "");
    assert.equal(suggester.didYouMean(`Registr${"y".repeat(10_000)}`), "");
  });

  it("quotes any value on one line, cut short", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200, unit: "binary" }), (value) => {
        const quoted = quote(value);
        assert.doesNotMatch(quoted, /[\n\r\u0085\u2028\u2029\u202e]/);
        assert.ok(quoted.length <= 2 + 6 * 63);
      }),
    );
    assert.equal(quote('a"b\nc'), '"a\\"b\\u000ac"');
  });

  it("prints odd keys in a field path quoted", () => {
    assert.equal(
      formatFieldPath(["groups", "core", "agents", 0, "name"]),
      "groups.core.agents[0].name",
    );
    assert.equal(formatFieldPath(["config", "cascade:fleet"]), "config.cascade:fleet");
    assert.equal(formatFieldPath(["groups", "a b\nc"]), 'groups["a b\\u000ac"]');
  });
});
