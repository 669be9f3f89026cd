import type { RollbackPolicy } from "../fleet/model";
import {
  CircuitBreaker,
  CircuitOpenError,
  SEED_CIRCUIT_BREAKER_DEFAULTS,
} from "../health/circuit-breaker";
import { createStartupMetrics, type StartupMetrics } from "../health/metrics";
import { healthResponseSchema } from "../health/response";
import {
  evaluatePolicy,
  windowEnd,
  type AgentObservation,
  type ErrorRateSample,
  type Poll,
  type Verdict,
} from "./policy";

/**
 * The verify window: polls every agent's health URL (from the stack outputs) through one circuit
 * breaker per agent (seed §5.3), records the startup metrics (seed §6.1), and feeds each round
 * into the rollback policy until it triggers or the window closes. Clock, sleep and fetch are
 * injected so tests run fast against real servers on 127.0.0.1; `observe` replaces the HTTP
 * request altogether (the Kubernetes target reads readiness from the API: kube-readiness.ts).
 */

export interface VerifyTarget {
  name: string;
  group: string;
  wave: number;
  critical: boolean;
  healthUrl: string;
}

/**
 * Where an agent's health comes from: one observation per call, or an ObservationError when no
 * usable answer came (the circuit breaker counts it, and the agent counts as not answering). The
 * default requests the agent's health URL; kube-readiness.ts reads a Kubernetes Deployment's
 * readiness instead. Any other error is a bug and stops the verify window.
 */
export type ObservationSource = (target: VerifyTarget) => Promise<AgentObservation>;

/**
 * The fleet's request error rate from `startMs` (the window's start) to `atMs`, measured apart
 * from the agents' own reports (prometheus-error-rate.ts); undefined when it has no data.
 */
export type ErrorRateSource = (window: {
  startMs: number;
  atMs: number;
}) => Promise<ErrorRateSample | undefined>;

/** No usable answer from an agent (or the API that reports on it): refused, timed out, an error status. */
export class ObservationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ObservationError";
  }
}

export interface Clock {
  now(): number;
}

export interface VerifyOptions {
  targets: readonly VerifyTarget[];
  policy: RollbackPolicy;
  /** When the update finished: the window starts here. */
  deployEndMs: number;
  /** When the update started, for the startup-duration gauge; default deployEndMs. */
  deployStartMs?: number;
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
  /** The observation source; default: HTTP GET of each target's health URL (with `fetch`). */
  observe?: ObservationSource;
  /** Measures the request error rate each poll (Prometheus, when monitoring runs). */
  errorRate?: ErrorRateSource;
  pollIntervalMs?: number;
  requestTimeoutMs?: number;
  consecutivePolls?: number;
  metrics?: StartupMetrics;
  /** Called after each round, with the verdict so far. */
  onPoll?: (poll: Poll, verdict: Verdict) => void;
}

export interface VerifyResult {
  verdict: Exclude<Verdict, { kind: "pending" }>;
  polls: Poll[];
  metrics: StartupMetrics;
}

export const DEFAULT_POLL_INTERVAL_MS = 10_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;
/** The metrics' `service` label for the verifier's own dependency-check counters. */
export const VERIFIER_SERVICE = "cascade-verifier";

export async function verifyDeployment(options: VerifyOptions): Promise<VerifyResult> {
  const interval = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const metrics = options.metrics ?? createStartupMetrics();
  const end = windowEnd(options.policy, options.deployEndMs);
  const checker = new HealthChecker(options, metrics);
  const polls: Poll[] = [];

  const now = options.clock.now();
  if (now < options.deployEndMs) await options.sleep(options.deployEndMs - now);
  for (;;) {
    const atMs = options.clock.now();
    if (atMs > end) return { verdict: settle(evaluate(options, polls, atMs)), polls, metrics };
    const results = await Promise.all(options.targets.map((target) => checker.check(target)));
    const errorRate = await options.errorRate?.({ startMs: options.deployEndMs, atMs });
    const poll: Poll = errorRate ? { atMs, results, errorRate } : { atMs, results };
    polls.push(poll);
    const verdict = evaluate(options, polls);
    options.onPoll?.(poll, verdict);
    if (verdict.kind !== "pending") return { verdict, polls, metrics };
    const nextAt = atMs + interval;
    if (nextAt > end) {
      // No poll fits in the window any more: wait for its end and decide.
      await options.sleep(Math.max(0, end - options.clock.now()));
      const last = evaluate(options, polls, Math.max(end, options.clock.now()));
      return { verdict: settle(last), polls, metrics };
    }
    await options.sleep(Math.max(0, nextAt - options.clock.now()));
  }
}

function evaluate(options: VerifyOptions, polls: Poll[], nowMs = options.clock.now()): Verdict {
  return evaluatePolicy({
    policy: options.policy,
    agents: options.targets,
    deployEndMs: options.deployEndMs,
    nowMs,
    polls,
    consecutivePolls: options.consecutivePolls,
  });
}

function settle(verdict: Verdict): Exclude<Verdict, { kind: "pending" }> {
  if (verdict.kind !== "pending") return verdict;
  return { ...verdict, kind: "unverified", reason: "the verify window did not complete" };
}

/** One agent's health request: the response, classified; an agent that does not answer is "unreachable". */
class HealthChecker {
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly consecutive = new Map<string, number>();
  private readonly started = new Set<string>();

  constructor(
    private readonly options: VerifyOptions,
    private readonly metrics: StartupMetrics,
  ) {}

  async check(target: VerifyTarget): Promise<AgentObservation> {
    const began = this.options.clock.now();
    let observation: AgentObservation;
    try {
      const observe = this.options.observe ?? ((t: VerifyTarget) => this.request(t));
      observation = await this.breaker(target.name).call(() => observe(target));
    } catch (error) {
      if (!(error instanceof ObservationError || error instanceof CircuitOpenError)) throw error;
      observation = { agent: target.name, outcome: "unreachable" };
    }
    const seconds = Math.max(0, this.options.clock.now() - began) / 1000;
    this.metrics.healthCheckDuration.observe(
      { service: target.name, check_type: "verify" },
      seconds,
    );
    this.record(target, observation);
    return observation;
  }

  private breaker(agent: string): CircuitBreaker {
    let breaker = this.breakers.get(agent);
    if (!breaker) {
      breaker = new CircuitBreaker(SEED_CIRCUIT_BREAKER_DEFAULTS);
      this.breakers.set(agent, breaker);
    }
    return breaker;
  }

  /** Throws an ObservationError (a breaker failure) when the agent gives no usable answer. */
  private async request(target: VerifyTarget): Promise<AgentObservation> {
    const { response, text } = await this.fetchHealth(target.healthUrl);
    if (!response.ok && response.status !== 503) {
      throw new ObservationError(`${target.healthUrl} answered HTTP ${response.status}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const parsed = healthResponseSchema.safeParse(body);
    if (!parsed.success) {
      // A bare 2xx (curl -f semantics) is healthy; a bare 503 is unhealthy.
      return { agent: target.name, outcome: response.ok ? "healthy" : "unhealthy" };
    }
    const status = response.status === 503 ? "unhealthy" : parsed.data.status;
    return {
      agent: target.name,
      outcome: status,
      errorRate: parsed.data.metrics?.error_rate,
      requestsPerSecond: parsed.data.metrics?.requests_per_second,
    };
  }

  /** The response and its body; refused, timed out or cut off is an ObservationError. */
  private async fetchHealth(url: string): Promise<{ response: Response; text: string }> {
    const doFetch = this.options.fetch ?? fetch;
    try {
      const response = await doFetch(url, {
        headers: { accept: "application/json" },
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS),
      });
      return { response, text: await response.text() };
    } catch (error) {
      throw new ObservationError(`${url}: ${(error as Error).message}`, { cause: error });
    }
  }

  private record(target: VerifyTarget, observation: AgentObservation) {
    const labels = { service: VERIFIER_SERVICE, dependency: target.name };
    const failing = observation.outcome === "unhealthy" || observation.outcome === "unreachable";
    if (failing) {
      this.metrics.dependencyCheckFailures.inc(labels);
      const run = (this.consecutive.get(target.name) ?? 0) + 1;
      this.consecutive.set(target.name, run);
      this.metrics.dependencyConsecutiveFailures.set(labels, run);
      return;
    }
    this.consecutive.set(target.name, 0);
    this.metrics.dependencyConsecutiveFailures.set(labels, 0);
    if (!this.started.has(target.name)) {
      this.started.add(target.name);
      const since = this.options.deployStartMs ?? this.options.deployEndMs;
      this.metrics.startupDuration.set(
        { service: target.name, group: target.group, wave: String(target.wave) },
        Math.max(0, this.options.clock.now() - since) / 1000,
      );
    }
  }
}
