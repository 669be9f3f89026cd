import { CircuitBreaker, CircuitOpenError } from "../health/circuit-breaker";
import type { StartupMetrics } from "../health/metrics";
import type { DependencyCheckResult } from "../health/response";
import { checkHttp } from "../health/stage-checks";
import type { Dependency } from "./config";

export interface DependencyMonitorOptions {
  service: string;
  dependencies: Dependency[];
  intervalMs: number;
  timeoutMs: number;
  breaker: { failureThreshold: number; timeoutMs: number };
  metrics: StartupMetrics;
  /** Called after every round of checks. */
  onRound: () => void;
}

/**
 * Checks each dependency's health URL every `intervalMs`, through one circuit breaker per
 * dependency: while a dependency's circuit is open it is reported unhealthy without being
 * called, so a dead dependency is not hammered by every agent that needs it.
 */
export class DependencyMonitor {
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly results = new Map<string, DependencyCheckResult>();
  private readonly consecutiveFailures = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: DependencyMonitorOptions) {
    for (const dependency of options.dependencies) {
      this.breakers.set(dependency.name, new CircuitBreaker(options.breaker));
      this.results.set(dependency.name, {
        status: "unhealthy",
        critical: dependency.critical,
        error: "not checked yet",
      });
    }
  }

  start(): void {
    const round = async (): Promise<void> => {
      await this.checkAll();
      this.options.onRound();
      if (!this.stopped) this.timer = setTimeout(() => void round(), this.options.intervalMs);
    };
    void round();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  snapshot(): Record<string, DependencyCheckResult> {
    return Object.fromEntries(this.results);
  }

  criticalDependenciesHealthy(): boolean {
    return [...this.results.values()].every((r) => !r.critical || r.status === "healthy");
  }

  breakerState(name: string): string | undefined {
    return this.breakers.get(name)?.state;
  }

  async checkAll(): Promise<void> {
    await Promise.all(this.options.dependencies.map((d) => this.check(d)));
  }

  private async check(dependency: Dependency): Promise<void> {
    const { service, metrics, timeoutMs } = this.options;
    const breaker = this.breakers.get(dependency.name);
    if (breaker === undefined) return;
    const labels = { service, dependency: dependency.name };
    const started = performance.now();
    try {
      await breaker.call(() => checkHttp(dependency.url, "GET", AbortSignal.timeout(timeoutMs)));
      const latency = performance.now() - started;
      metrics.healthCheckDuration.observe({ service, check_type: "dependency" }, latency / 1000);
      this.consecutiveFailures.set(dependency.name, 0);
      this.results.set(dependency.name, {
        status: "healthy",
        critical: dependency.critical,
        latency_ms: Math.round(latency),
      });
    } catch (error) {
      if (!(error instanceof CircuitOpenError)) {
        metrics.healthCheckDuration.observe(
          { service, check_type: "dependency" },
          (performance.now() - started) / 1000,
        );
      }
      metrics.dependencyCheckFailures.inc(labels);
      this.consecutiveFailures.set(
        dependency.name,
        (this.consecutiveFailures.get(dependency.name) ?? 0) + 1,
      );
      this.results.set(dependency.name, {
        status: "unhealthy",
        critical: dependency.critical,
        error: error instanceof Error ? error.message : String(error),
      });
    }
    metrics.dependencyConsecutiveFailures.set(
      labels,
      this.consecutiveFailures.get(dependency.name) ?? 0,
    );
  }
}
