import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseStandinConfig } from "../../src/standin/config";

describe("stand-in configuration", () => {
  it("defaults to one port on 127.0.0.1 and behaving well", () => {
    const config = parseStandinConfig({});
    assert.deepEqual(config.ports, [8080]);
    assert.equal(config.bindAddress, "127.0.0.1");
    assert.deepEqual(config.dependencies, []);
    assert.deepEqual(config.breaker, { failureThreshold: 5, timeoutMs: 60_000 });
    assert.equal(config.misbehaviour.neverReady, false);
    assert.equal(config.misbehaviour.crashAfterMs, undefined);
  });

  it("parses ports, dependencies, misbehaviours and the model config file", () => {
    const dir = mkdtempSync(join(tmpdir(), "standin-config-"));
    const modelFile = join(dir, "models.json");
    writeFileSync(
      modelFile,
      JSON.stringify({
        preload: ["phi-2"],
        on_demand: ["whisper-large-v3"],
        max_models_in_memory: 3,
        eviction_policy: "lru",
        idle_timeout_seconds: 1800,
      }),
    );
    const config = parseStandinConfig({
      CASCADE_SERVICE_PORT: "7200",
      CASCADE_HEALTH_PORT: "8200",
      CASCADE_BIND_ADDRESS: "0.0.0.0",
      CASCADE_MODEL_CONFIG: modelFile,
      CASCADE_DEPENDENCIES:
        '[{"name":"ServiceRegistry","url":"http://127.0.0.1:8200/health"},{"name":"ObservabilityHub","url":"http://127.0.0.1:9000/health","critical":false}]',
      CASCADE_NEVER_READY: "1",
      CASCADE_CRASH_AFTER_MS: "1500",
      CASCADE_FAILING_CHECKS: "db, redis",
    });
    assert.deepEqual(config.ports, [7200, 8200]);
    assert.equal(config.bindAddress, "0.0.0.0");
    assert.deepEqual(config.models.preload, ["phi-2"]);
    assert.deepEqual(
      config.dependencies.map((d) => [d.name, d.critical]),
      [
        ["ServiceRegistry", true],
        ["ObservabilityHub", false],
      ],
    );
    assert.equal(config.misbehaviour.neverReady, true);
    assert.equal(config.misbehaviour.crashAfterMs, 1500);
    assert.deepEqual(config.misbehaviour.failingChecks, ["db", "redis"]);
  });

  it("names every bad variable", () => {
    assert.throws(
      () =>
        parseStandinConfig({
          CASCADE_SERVICE_PORT: "http",
          CASCADE_BIND_ADDRESS: "10.0.0.1",
          CASCADE_DEPENDENCIES: "not json",
          CASCADE_HANG: "yes",
        }),
      (error: Error) =>
        [
          "CASCADE_SERVICE_PORT",
          "CASCADE_BIND_ADDRESS",
          "CASCADE_DEPENDENCIES",
          "CASCADE_HANG",
        ].every((v) => error.message.includes(v)),
    );
  });

  it("rejects a model config with more preload models than fit in memory", () => {
    const dir = mkdtempSync(join(tmpdir(), "standin-config-"));
    const modelFile = join(dir, "models.json");
    writeFileSync(
      modelFile,
      JSON.stringify({
        preload: ["a", "b"],
        on_demand: [],
        max_models_in_memory: 1,
        eviction_policy: "lru",
        idle_timeout_seconds: 60,
      }),
    );
    assert.throws(
      () => parseStandinConfig({ CASCADE_MODEL_CONFIG: modelFile }),
      /more preload models/,
    );
  });
});
