import assert from "node:assert/strict";
import {
  METRIC_LABELS,
  METRIC_NAMES,
  SEED_ALERT_THRESHOLDS,
  HEALTH_CHECK_DURATION_BUCKETS,
} from "../../src/health/metric-names";
import { createStartupMetrics } from "../../src/health/metrics";

describe("startup metrics (seed §6.1)", () => {
  it("follow Prometheus naming: cascade_ prefix, base units, _total only on counters", async () => {
    const metrics = createStartupMetrics();
    const exported = await metrics.registry.getMetricsAsJSON();
    const typeOf = new Map(exported.map((m) => [m.name, String(m.type)]));
    assert.deepEqual([...typeOf.keys()].sort(), Object.values(METRIC_NAMES).sort());
    for (const [name, type] of typeOf) {
      assert.match(name, /^cascade_[a-z_]+$/);
      assert.equal(name.endsWith("_total"), type === "counter", `${name} is a ${type}`);
      assert.doesNotMatch(name, /_ms$|milliseconds/, "durations are in seconds");
    }
  });

  it("expose each series with the declared labels", async () => {
    const metrics = createStartupMetrics();
    metrics.startupDuration.set({ service: "STTService", group: "ai_engine", wave: "2" }, 95.5);
    metrics.healthCheckDuration.observe({ service: "STTService", check_type: "dependency" }, 0.02);
    metrics.dependencyCheckFailures.inc({ service: "STTService", dependency: "ModelManagerSuite" });
    metrics.restarts.inc({ service: "STTService", reason: "crash" });
    const text = await metrics.registry.metrics();
    assert.match(
      text,
      /^cascade_startup_duration_seconds\{service="STTService",group="ai_engine",wave="2"\} 95\.5$/m,
    );
    assert.match(
      text,
      /^cascade_dependency_check_failures_total\{service="STTService",dependency="ModelManagerSuite"\} 1$/m,
    );
    assert.match(text, /^cascade_restarts_total\{service="STTService",reason="crash"\} 1$/m);
    assert.match(
      text,
      /^cascade_health_check_duration_seconds_bucket\{le="0\.025",service="STTService",check_type="dependency"\} 1$/m,
    );
    assert.deepEqual(METRIC_LABELS.startupDuration, ["service", "group", "wave"]);
  });

  it("has a histogram bucket at the seed's 5 s alert threshold", () => {
    assert.ok(
      HEALTH_CHECK_DURATION_BUCKETS.includes(SEED_ALERT_THRESHOLDS.healthCheckDurationSeconds),
    );
  });
});
