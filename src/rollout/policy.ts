import type { FailureCondition, RollbackAction, RollbackPolicy } from "../fleet/model";

/**
 * Seed §7.1 evaluated over health observations: pure, no I/O, time given as epoch milliseconds.
 *
 * Rules (docs/rollback.md, "The policy, precisely", states the same formulas):
 * - Window: only polls taken at or after `deployEndMs` and at or before
 *   `deployEndMs + healthCheckWindowSeconds` count. Earlier or later polls are ignored.
 * - Failed poll of an agent: it answered "unhealthy" (HTTP 503 or status unhealthy), or did not
 *   answer at all (timeout, refused, open circuit, unparsable body, or simply absent from a poll).
 *   "degraded" is not failing: the seed serves traffic while degraded.
 * - Failing agent, judged over the window so far (K = `consecutivePolls`, default 3, Docker's
 *   `retries`; R = `flappingRatio`, default 0.25): its last K polls all failed, or at least K of
 *   its polls in the window failed and they are more than R of them. So one passing poll does not
 *   clear an agent that keeps failing, and a blip (a failed poll now and then) is not a failure.
 * - health_check_failures: failing agents / all agents > aboveRatio (strictly above).
 * - critical_service_unhealthy: any critical agent failing.
 * - error_rate: request errors, never health checks. Each poll's sample is the rate Prometheus
 *   measured over the window (the poll's `errorRate`, when monitoring runs), else the rate the
 *   agents report in their health responses (`metrics.error_rate`, every agent that reported one,
 *   failing or not), weighted by `requests_per_second` when every reporter gives one (> 0), a
 *   plain mean otherwise. A poll without a sample neither holds nor breaks a run. The condition
 *   holds when the last K samples are all > aboveRatio, or when at least K samples were taken and
 *   their mean is > aboveRatio. Without any sample it never holds (no data is no error rate).
 * - When several conditions hold on the same poll, an immediate_rollback one wins.
 * - Missing data: an agent that does not answer fails that poll (above). A window with fewer
 *   than K polls in it ends "unverified": no rollback, and no verified-good record.
 */

export type AgentOutcome = "healthy" | "degraded" | "unhealthy" | "unreachable";

export interface AgentObservation {
  agent: string;
  outcome: AgentOutcome;
  /** metrics.error_rate of the standard response, 0..1, when the agent reports it. */
  errorRate?: number;
  /** metrics.requests_per_second, when reported; weights the error rate. */
  requestsPerSecond?: number;
}

/** The fleet's request error rate, measured by something other than the agents' own reports. */
export interface ErrorRateSample {
  rate: number;
  source: "prometheus";
}

/** One round of health checks over the fleet. Agents missing from `results` did not answer. */
export interface Poll {
  atMs: number;
  results: AgentObservation[];
  /** The fleet's request error rate over the window so far, from Prometheus, when it runs. */
  errorRate?: ErrorRateSample;
}

export interface PolicyAgent {
  name: string;
  critical: boolean;
}

export interface PolicyInput {
  policy: RollbackPolicy;
  agents: readonly PolicyAgent[];
  deployEndMs: number;
  nowMs: number;
  polls: readonly Poll[];
  /** K: polls in a row that make an agent failing, and the fewest failed polls that can; default 3. */
  consecutivePolls?: number;
  /** R: the share of its polls an agent with K failed polls must exceed to be failing; default 0.25. */
  flappingRatio?: number;
}

export interface Trigger {
  condition: FailureCondition;
  action: RollbackAction;
  /** The poll at which the condition held. */
  atMs: number;
  /** Human sentence: which condition, with the numbers that made it hold. */
  reason: string;
  /** Agents failing at the triggering poll, judged over the window (unhealthy or not answering). */
  failingAgents: string[];
}

/** One agent's record over the window: every agent with at least one failed poll. */
export interface AgentMeasurement {
  agent: string;
  critical: boolean;
  failed: number;
  polls: number;
  longestRun: number;
}

/** What the window measured, for the record and the operator. */
export interface WindowMeasurements {
  agents: AgentMeasurement[];
  errorRate:
    | { source: "none"; samples: 0 }
    | {
        source: "reported" | "prometheus";
        samples: number;
        mean: number;
        max: number;
        last: number;
      };
}

interface VerdictBase {
  pollsInWindow: number;
  windowEndMs: number;
  measurements: WindowMeasurements;
}

export type Verdict =
  | ({ kind: "pending" } & VerdictBase)
  | ({ kind: "verified" } & VerdictBase)
  | ({ kind: "unverified"; reason: string } & VerdictBase)
  | ({ kind: "rollback"; trigger: Trigger } & VerdictBase);

export const DEFAULT_CONSECUTIVE_POLLS = 3;
export const DEFAULT_FLAPPING_RATIO = 0.25;

export function windowEnd(policy: RollbackPolicy, deployEndMs: number): number {
  return deployEndMs + policy.healthCheckWindowSeconds * 1000;
}

/** The verdict of the policy at `nowMs`, given every poll so far. */
export function evaluatePolicy(input: PolicyInput): Verdict {
  const needed = input.consecutivePolls ?? DEFAULT_CONSECUTIVE_POLLS;
  if (!Number.isInteger(needed) || needed < 1) {
    throw new RangeError("consecutivePolls must be a positive integer");
  }
  const end = windowEnd(input.policy, input.deployEndMs);
  const polls = input.polls
    .filter(
      (poll) => poll.atMs >= input.deployEndMs && poll.atMs <= end && poll.atMs <= input.nowMs,
    )
    .sort((a, b) => a.atMs - b.atMs);
  const window = new WindowState(
    input.agents,
    needed,
    input.flappingRatio ?? DEFAULT_FLAPPING_RATIO,
  );
  const base = () => ({
    pollsInWindow: polls.length,
    windowEndMs: end,
    measurements: window.measurements(),
  });

  if (input.agents.length === 0) {
    return { kind: "unverified", ...base(), reason: "the stack has no agents to verify" };
  }
  for (const poll of polls) {
    window.add(poll);
    const fired = input.policy.failureConditions.flatMap((condition): Trigger[] => {
      const reason = window.holds(condition);
      if (reason === undefined) return [];
      const trigger = { condition, action: condition.action, atMs: poll.atMs, reason };
      return [{ ...trigger, failingAgents: window.failing().map((agent) => agent.name) }];
    });
    const trigger = fired.find((t) => t.action === "immediate_rollback") ?? fired[0];
    if (trigger) return { kind: "rollback", ...base(), trigger };
  }
  if (input.nowMs < end) return { kind: "pending", ...base() };
  if (polls.length < needed) {
    return {
      kind: "unverified",
      ...base(),
      reason:
        polls.length === 0
          ? "no health observations inside the verify window"
          : `only ${polls.length} health observation(s) inside the verify window, ${needed} needed`,
    };
  }
  return { kind: "verified", ...base() };
}

interface AgentRecord {
  agent: PolicyAgent;
  polls: number;
  failed: number;
  run: number;
  longestRun: number;
}

/** The window so far: each agent's failed polls and runs, and the error-rate samples. */
class WindowState {
  private readonly records: AgentRecord[];
  private readonly samples: number[] = [];
  private sampleSource: "reported" | "prometheus" = "reported";

  constructor(
    agents: readonly PolicyAgent[],
    private readonly needed: number,
    private readonly ratio: number,
  ) {
    this.records = agents.map((agent) => ({ agent, polls: 0, failed: 0, run: 0, longestRun: 0 }));
  }

  add(poll: Poll) {
    const byAgent = new Map(poll.results.map((result) => [result.agent, result]));
    for (const record of this.records) {
      const outcome = byAgent.get(record.agent.name)?.outcome;
      const failed = outcome === undefined || outcome === "unhealthy" || outcome === "unreachable";
      record.polls++;
      record.failed += failed ? 1 : 0;
      record.run = failed ? record.run + 1 : 0;
      record.longestRun = Math.max(record.longestRun, record.run);
    }
    const sample = poll.errorRate?.rate ?? reportedErrorRate(poll.results);
    if (sample === undefined) return;
    if (poll.errorRate) this.sampleSource = "prometheus";
    this.samples.push(sample);
  }

  /** Agents failing now, judged over the window (see the module comment). */
  failing(): PolicyAgent[] {
    return this.records.filter((r) => this.isFailing(r)).map((r) => r.agent);
  }

  private isFailing(record: AgentRecord): boolean {
    return (
      record.run >= this.needed ||
      (record.failed >= this.needed && exceeds(record.failed / record.polls, this.ratio))
    );
  }

  /** Why the agent is failing, with its numbers. */
  private why(record: AgentRecord): string {
    const { agent, run, failed, polls } = record;
    return run >= this.needed
      ? `${agent.name} failed ${run} poll${run === 1 ? "" : "s"} in a row`
      : `${agent.name} failed ${failed} of ${polls} polls (${percent(failed / polls)} > ${percent(this.ratio)})`;
  }

  /** The reason `condition` holds now, or undefined. */
  holds(condition: FailureCondition): string | undefined {
    const failing = this.records.filter((r) => this.isFailing(r));
    switch (condition.kind) {
      case "health_check_failures": {
        const share = failing.length / this.records.length;
        return exceeds(share, condition.aboveRatio)
          ? `health check failures ${percent(share)} (${failing.length}/${this.records.length} agents failing) > ${percent(condition.aboveRatio)}`
          : undefined;
      }
      case "critical_service_unhealthy": {
        const critical = failing.filter((r) => r.agent.critical);
        return critical.length > 0
          ? `critical service unhealthy: ${critical.map((r) => this.why(r)).join("; ")}`
          : undefined;
      }
      case "error_rate":
        return this.errorRateHolds(condition);
    }
  }

  private errorRateHolds(condition: Extract<FailureCondition, { kind: "error_rate" }>) {
    const source =
      this.sampleSource === "prometheus" ? "Prometheus, over the window" : "reported by the agents";
    const last = this.samples.at(-1);
    const threshold = percent(condition.aboveRatio);
    const recent = this.samples.slice(-this.needed);
    if (
      recent.length === this.needed &&
      recent.every((rate) => exceeds(rate, condition.aboveRatio))
    ) {
      return `error rate ${percent(last!)} (${source}) > ${threshold} on ${this.needed} consecutive polls`;
    }
    const mean = average(this.samples);
    if (this.samples.length >= this.needed && exceeds(mean, condition.aboveRatio)) {
      return `error rate averaged ${percent(mean)} over ${this.samples.length} polls (${source}) > ${threshold}`;
    }
    return undefined;
  }

  measurements(): WindowMeasurements {
    const agents = this.records
      .filter((r) => r.failed > 0)
      .map((r) => ({
        agent: r.agent.name,
        critical: r.agent.critical,
        failed: r.failed,
        polls: r.polls,
        longestRun: r.longestRun,
      }));
    if (this.samples.length === 0) return { agents, errorRate: { source: "none", samples: 0 } };
    return {
      agents,
      errorRate: {
        source: this.sampleSource,
        samples: this.samples.length,
        mean: round(average(this.samples)),
        max: round(Math.max(...this.samples)),
        last: round(this.samples.at(-1)!),
      },
    };
  }
}

/** The agents' own request error rate in one poll, or undefined when none reported one. */
function reportedErrorRate(results: readonly AgentObservation[]): number | undefined {
  const reporters = results.filter(
    (r) => r.errorRate !== undefined && Number.isFinite(r.errorRate),
  );
  if (reporters.length === 0) return undefined;
  const weighted = reporters.every((r) => (r.requestsPerSecond ?? 0) > 0);
  let total = 0;
  let weight = 0;
  for (const r of reporters) {
    const w = weighted ? r.requestsPerSecond! : 1;
    total += r.errorRate! * w;
    weight += w;
  }
  return total / weight;
}

/** `value` > `threshold`, by more than floating-point noise (a mean of 0.1s is not above 0.1). */
function exceeds(value: number, threshold: number): boolean {
  return value - threshold > 1e-9;
}

function average(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

function percent(ratio: number): string {
  return `${Math.round(ratio * 1000) / 10}%`;
}
