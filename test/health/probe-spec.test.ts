import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  probeSpecSchema,
  worstCaseProbeDurationMs,
  type ProbeSpec,
} from "../../src/health/probe-spec";

const valid: ProbeSpec = {
  version: 1,
  service: "ServiceRegistry",
  stages: [
    {
      name: "port_listening",
      kind: "tcp",
      targets: ["127.0.0.1:8200"],
      timeout_ms: 500,
      critical: true,
    },
    {
      name: "api_responsive",
      kind: "http",
      targets: ["http://127.0.0.1:8200/health"],
      timeout_ms: 3000,
      critical: true,
    },
    {
      name: "registration",
      kind: "http",
      method: "POST",
      targets: ["http://127.0.0.1:8200/register/test"],
      timeout_ms: 3000,
      critical: false,
    },
  ],
};

const issues = (spec: unknown): string[] => {
  const result = probeSpecSchema.safeParse(spec);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("probe spec", () => {
  it("accepts a valid spec and the stand-in image's default spec", () => {
    assert.deepEqual(issues(valid), []);
    const imageSpec: unknown = JSON.parse(
      readFileSync(join(__dirname, "../../images/standin/probe.json"), "utf8"),
    );
    assert.deepEqual(issues(imageSpec), []);
  });

  it("rejects targets that do not fit their kind, and methods outside http", () => {
    const withStage = (stage: object) => ({ ...valid, stages: [{ ...valid.stages[0], ...stage }] });
    assert.match(issues(withStage({ kind: "tcp", targets: ["http://x:1/"] })).join(), /host:port/);
    assert.match(
      issues(withStage({ kind: "http", targets: ["https://x/health"] })).join(),
      /http:\/\//,
    );
    assert.match(
      issues(withStage({ kind: "process", targets: ["/usr/bin/node"] })).join(),
      /process name/,
    );
    assert.match(issues(withStage({ kind: "tcp", method: "POST" })).join(), /http stages only/);
  });

  it("rejects duplicate stage names, unknown keys and a wrong version", () => {
    assert.match(
      issues({ ...valid, stages: [valid.stages[0], valid.stages[0]] }).join(),
      /duplicate stage/,
    );
    assert.notDeepEqual(issues({ ...valid, interval: 5 }), []);
    assert.notDeepEqual(issues({ ...valid, version: 2 }), []);
  });

  it("takes deadlines, intervals, pid targets and health stages, and rejects them malformed", () => {
    const withStage = (stage: object) => ({ ...valid, stages: [{ ...valid.stages[0], ...stage }] });
    assert.deepEqual(issues(withStage({ deadline_ms: 30_000, interval_ms: 15_000 })), []);
    assert.deepEqual(issues(withStage({ kind: "process", targets: ["pid:1"] })), []);
    assert.deepEqual(
      issues(withStage({ kind: "health", targets: ["http://127.0.0.1:8/health"] })),
      [],
    );
    assert.notDeepEqual(issues(withStage({ deadline_ms: -1 })), []);
    assert.notDeepEqual(issues(withStage({ interval_ms: 0 })), []);
    assert.match(issues(withStage({ kind: "health", targets: ["x:1"] })).join(), /http:\/\//);
  });

  it("bounds a run by the sum of the stage timeouts", () => {
    assert.equal(worstCaseProbeDurationMs(valid), 6500);
  });
});
