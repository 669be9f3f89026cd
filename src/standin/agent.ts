import { aggregateStatus } from "../health/aggregate";
import { createStartupMetrics, type StartupMetrics } from "../health/metrics";
import type {
  ComponentCheck,
  HealthChecks,
  HealthResponse,
  StageCheckResult,
} from "../health/response";
import type { StandinConfig } from "./config";
import { DependencyMonitor } from "./dependency-monitor";
import { ModelCache } from "./model-cache";
import { RequestStats } from "./request-stats";
import { readResourceUsage } from "./resource-usage";

/**
 * The state of a stand-in agent through its startup: initialising (CASCADE_STARTUP_DELAY_MS),
 * loading its preload models, waiting for its critical dependencies, then serving. It is
 * "ready" (GET /health/ready) when serving: every critical stage passes, degraded or not, which
 * is what the Docker probe calls healthy and Kubernetes' readiness asks. Fully operational is
 * ready and not degraded (GET /health says "healthy"). The misbehaviours of CASCADE_* bend
 * these answers (see config.ts).
 */
export class StandinAgent {
  readonly metrics: StartupMetrics = createStartupMetrics(undefined, () => ({
    labels: {
      service: this.config.service.name,
      group: this.config.service.group,
      wave: this.config.service.wave,
    },
    seconds: this.startupSeconds(),
  }));
  readonly models: ModelCache;
  readonly dependencies: DependencyMonitor;
  readonly requests = new RequestStats();
  private startupComplete = false;
  private servingSince: number | undefined;
  private readonly timers: NodeJS.Timeout[] = [];

  /** `startedAt`: epoch ms the process started, which startup durations count from. */
  constructor(
    private readonly config: StandinConfig,
    private readonly log: (event: string, fields?: object) => void,
    private readonly startedAt: number,
  ) {
    this.models = new ModelCache(config.models, config.modelLoadMs);
    this.dependencies = new DependencyMonitor({
      service: config.service.name,
      dependencies: config.dependencies,
      intervalMs: config.dependencyIntervalMs,
      timeoutMs: config.dependencyTimeoutMs,
      breaker: config.breaker,
      metrics: this.metrics,
      onRound: () => this.noteProgress(),
    });
  }

  /** Starts the startup sequence, timed from `startedAt`. */
  begin(): void {
    this.dependencies.start();
    const idleSweepMs = Math.min(this.config.models.idle_timeout_seconds * 500, 60_000);
    this.timers.push(setInterval(() => this.models.evictIdle(), idleSweepMs).unref());
    if (this.config.misbehaviour.neverReady) return;
    const remainingDelay = this.startedAt + this.config.startupDelayMs - Date.now();
    this.timers.push(
      setTimeout(
        () => {
          this.startupComplete = true;
          this.log("startup_complete");
          void this.models.preload().then(() => this.noteProgress());
        },
        Math.max(0, remainingDelay),
      ),
    );
  }

  stop(): void {
    this.dependencies.stop();
    for (const timer of this.timers) clearTimeout(timer);
  }

  isStarted(): boolean {
    return this.startupComplete;
  }

  isReady(): boolean {
    return this.isServing() && !this.isFlappedDown();
  }

  uptimeSeconds(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  health(): HealthResponse {
    const checks: HealthChecks = {
      self: this.selfCheck(),
      dependencies: this.dependencies.snapshot(),
      stages: this.stages(),
      resources: readResourceUsage(),
    };
    const uptime = this.uptimeSeconds();
    return {
      status: aggregateStatus(checks),
      timestamp: new Date().toISOString(),
      service: {
        name: this.config.service.name,
        version: this.config.service.version,
        uptime_seconds: uptime,
      },
      checks,
      metrics: this.metricsSummary(uptime),
    };
  }

  /** The request metrics; CASCADE_ERROR_RATE stands in for the error rate of real traffic. */
  private metricsSummary(uptimeSeconds: number) {
    const measured = this.requests.summary(uptimeSeconds);
    const errorRate = this.config.misbehaviour.errorRate;
    if (errorRate === undefined) return measured;
    return {
      ...measured,
      requests_per_second: Math.max(measured.requests_per_second, 1),
      error_rate: errorRate,
    };
  }

  /** Serving: every critical stage has passed. Its first moment is the startup duration. */
  private isServing(): boolean {
    return (
      this.startupComplete &&
      this.models.preloadDone() &&
      this.dependencies.criticalDependenciesHealthy()
    );
  }

  /** Seconds from process start until serving; while still starting, the seconds so far. */
  private startupSeconds(): number {
    return ((this.servingSince ?? Date.now()) - this.startedAt) / 1000;
  }

  private noteProgress(): void {
    if (this.servingSince !== undefined || !this.isServing()) return;
    this.servingSince = Date.now();
    this.log("serving", { startup_seconds: this.startupSeconds() });
  }

  /** Flapping: once serving, every other CASCADE_FLAP_PERIOD_MS the agent is down. */
  private isFlappedDown(): boolean {
    const period = this.config.misbehaviour.flapPeriodMs;
    if (period === 0 || this.servingSince === undefined) return false;
    return Math.floor((Date.now() - this.servingSince) / period) % 2 === 1;
  }

  private selfCheck(): ComponentCheck {
    if (!this.startupComplete) {
      return {
        status: "unhealthy",
        error: this.config.misbehaviour.neverReady ? "startup never completes" : "starting",
      };
    }
    if (this.isFlappedDown()) return { status: "unhealthy", error: "flapping" };
    return { status: "healthy", latency_ms: 0 };
  }

  private stages(): Record<string, StageCheckResult> {
    const stage = (critical: boolean, passed: boolean, error: string): StageCheckResult =>
      passed ? { status: "healthy", critical } : { status: "unhealthy", critical, error };
    // Preload models are needed to serve (seed 1.2 stages models_loaded before ready).
    return {
      startup: stage(true, this.startupComplete, "initialising"),
      models_loaded: stage(true, this.models.preloadDone(), "loading preload models"),
      fully_operational: stage(
        false,
        this.isReady() && !this.config.misbehaviour.degraded,
        "not fully operational",
      ),
    };
  }
}
