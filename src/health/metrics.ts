import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { HEALTH_CHECK_DURATION_BUCKETS, METRIC_LABELS, METRIC_NAMES } from "./metric-names";

/** The startup metrics of seed §6.1 on their own registry (one per agent or per verifier). */
export function createStartupMetrics(registry: Registry = new Registry()) {
  const labels = <K extends keyof typeof METRIC_LABELS>(
    key: K,
  ): (typeof METRIC_LABELS)[K][number][] => [...METRIC_LABELS[key]];
  return {
    registry,
    startupDuration: new Gauge({
      name: METRIC_NAMES.startupDuration,
      help: "Seconds from process start until the service was ready.",
      labelNames: labels("startupDuration"),
      registers: [registry],
    }),
    healthCheckDuration: new Histogram({
      name: METRIC_NAMES.healthCheckDuration,
      help: "Seconds taken by one health check.",
      labelNames: labels("healthCheckDuration"),
      buckets: HEALTH_CHECK_DURATION_BUCKETS,
      registers: [registry],
    }),
    dependencyCheckFailures: new Counter({
      name: METRIC_NAMES.dependencyCheckFailures,
      help: "Dependency checks that failed, circuit-open rejections included.",
      labelNames: labels("dependencyCheckFailures"),
      registers: [registry],
    }),
    dependencyConsecutiveFailures: new Gauge({
      name: METRIC_NAMES.dependencyConsecutiveFailures,
      help: "Dependency checks failed in a row; 0 after a success.",
      labelNames: labels("dependencyConsecutiveFailures"),
      registers: [registry],
    }),
    restarts: new Counter({
      name: METRIC_NAMES.restarts,
      help: "Restarts of the service, by reason.",
      labelNames: labels("restarts"),
      registers: [registry],
    }),
  };
}

export type StartupMetrics = ReturnType<typeof createStartupMetrics>;
