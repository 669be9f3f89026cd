import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { HEALTH_CHECK_DURATION_BUCKETS, METRIC_LABELS, METRIC_NAMES } from "./metric-names";

/** An agent's startup time as its startup metric reports it on each scrape. */
export interface StartupReading {
  labels: Record<(typeof METRIC_LABELS)["startupDuration"][number], string>;
  seconds: number;
}

/**
 * The startup metrics of seed §6.1 on their own registry (one per agent or per verifier).
 * `startup`, when given, is read on every scrape into the startup gauge: an agent reports the
 * seconds since its process started for as long as it is starting, then its startup time, so
 * the seed's `startup_time_seconds > 300` fires for an agent stuck in startup (a gauge set only
 * once the agent is ready would be missing, and match nothing).
 */
export function createStartupMetrics(
  registry: Registry = new Registry(),
  startup?: () => StartupReading,
) {
  const labels = <K extends keyof typeof METRIC_LABELS>(
    key: K,
  ): (typeof METRIC_LABELS)[K][number][] => [...METRIC_LABELS[key]];
  return {
    registry,
    startupDuration: new Gauge({
      name: METRIC_NAMES.startupDuration,
      help: "Seconds from process start until the service was ready; while starting, the seconds so far.",
      labelNames: labels("startupDuration"),
      registers: [registry],
      collect() {
        if (!startup) return;
        const reading = startup();
        this.set(reading.labels, reading.seconds);
      },
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
    requests: new Counter({
      name: METRIC_NAMES.requests,
      help: "Requests served (health checks and scrapes left out), by outcome: error (5xx) or ok.",
      labelNames: labels("requests"),
      registers: [registry],
    }),
  };
}

export type StartupMetrics = ReturnType<typeof createStartupMetrics>;
