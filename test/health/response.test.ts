import assert from "node:assert/strict";
import { aggregateStatus, httpStatusFor } from "../../src/health/aggregate";
import {
  healthResponseSchema,
  type HealthChecks,
  type HealthStatus,
} from "../../src/health/response";

/** The example of seed §3.1, verbatim. */
const SEED_EXAMPLE = {
  status: "healthy",
  timestamp: "2025-07-30T12:00:00Z",
  service: { name: "ServiceName", version: "1.0.0", uptime_seconds: 3600 },
  checks: {
    self: { status: "healthy", latency_ms: 5 },
    dependencies: {
      ServiceRegistry: { status: "healthy", latency_ms: 12 },
      SystemDigitalTwin: { status: "healthy", latency_ms: 8 },
    },
    resources: { memory_mb: 512, cpu_percent: 15.5, gpu_memory_mb: 2048, threads: 8 },
  },
  metrics: { requests_per_second: 145, error_rate: 0.001, average_latency_ms: 23 },
};

describe("standard health response", () => {
  it("accepts the seed's example and rejects an unknown status", () => {
    assert.deepEqual(healthResponseSchema.parse(SEED_EXAMPLE), SEED_EXAMPLE);
    assert.equal(healthResponseSchema.safeParse({ ...SEED_EXAMPLE, status: "ok" }).success, false);
    assert.equal(
      healthResponseSchema.safeParse({ ...SEED_EXAMPLE, timestamp: "yesterday" }).success,
      false,
    );
  });

  it("accepts what seed §3.2's template prints, datetime.utcnow().isoformat(), as UTC", () => {
    // isoformat() has microseconds, or none at all when they are 0; never an offset.
    for (const printed of ["2025-07-30T12:00:00.123456", "2025-07-30T12:00:00"]) {
      const parsed = healthResponseSchema.parse({ ...SEED_EXAMPLE, timestamp: printed });
      assert.equal(parsed.timestamp, `${printed}Z`);
      assert.equal(Date.parse(parsed.timestamp), Date.parse(`${printed}+00:00`));
    }
    const withOffset = healthResponseSchema.parse({
      ...SEED_EXAMPLE,
      timestamp: "2025-07-30T14:00:00.5+02:00",
    });
    assert.equal(withOffset.timestamp, "2025-07-30T14:00:00.5+02:00");
  });

  describe("aggregation", () => {
    const healthy = { status: "healthy" } as const;
    const unhealthy = { status: "unhealthy" } as const;
    const cases: [string, Pick<HealthChecks, "self" | "dependencies" | "stages">, HealthStatus][] =
      [
        [
          "all healthy",
          {
            self: healthy,
            dependencies: { a: healthy },
            stages: { s: { ...healthy, critical: true } },
          },
          "healthy",
        ],
        ["self unhealthy", { self: unhealthy, dependencies: { a: healthy } }, "unhealthy"],
        ["self degraded", { self: { status: "degraded" } }, "degraded"],
        [
          "critical dependency unhealthy",
          { self: healthy, dependencies: { a: { ...unhealthy, critical: true } } },
          "unhealthy",
        ],
        [
          "dependency without criticality counts as critical (seed)",
          { self: healthy, dependencies: { a: unhealthy } },
          "unhealthy",
        ],
        [
          "non-critical dependency unhealthy",
          { self: healthy, dependencies: { a: { ...unhealthy, critical: false } } },
          "degraded",
        ],
        [
          "critical dependency degraded",
          { self: healthy, dependencies: { a: { status: "degraded", critical: true } } },
          "degraded",
        ],
        [
          "non-critical stage unhealthy",
          { self: healthy, stages: { fully_operational: { ...unhealthy, critical: false } } },
          "degraded",
        ],
        [
          "critical stage unhealthy",
          { self: healthy, stages: { startup: { ...unhealthy, critical: true } } },
          "unhealthy",
        ],
        [
          "unhealthy wins over degraded",
          {
            self: healthy,
            dependencies: {
              a: { ...unhealthy, critical: false },
              b: { ...unhealthy, critical: true },
            },
          },
          "unhealthy",
        ],
      ];
    for (const [name, checks, expected] of cases) {
      it(`${name} → ${expected}`, () => assert.equal(aggregateStatus(checks), expected));
    }
  });

  it("answers 200 for healthy and degraded, 503 for unhealthy", () => {
    assert.deepEqual(
      (["healthy", "degraded", "unhealthy"] as const).map(httpStatusFor),
      [200, 200, 503],
    );
  });
});
