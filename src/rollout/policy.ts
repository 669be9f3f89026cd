import type { FailureCondition, RollbackAction, RollbackPolicy } from "../fleet/model";

/**
 * Seed §7.1 evaluated over health observations: pure, no I/O, time given as epoch milliseconds.
 *
 * Rules (documented in docs/rollback.md):
 * - Window: only polls taken at or after `deployEndMs` and at or before
 *   `deployEndMs + healthCheckWindowSeconds` count. Earlier or later polls are ignored.
 * - Failing agent: one that answered "unhealthy" (HTTP 503 or status unhealthy), or did not answer
 *   at all (timeout, refused, open circuit, unparsable body, or simply absent from a poll).
 *   "degraded" is not failing: the seed serves traffic while degraded.
 * - health_check_failures: failing agents / all agents > aboveRatio (strictly above).
 * - critical_service_unhealthy: any critical agent failing.
 * - error_rate: the poll's fleet error rate > aboveRatio (strictly above). The rate is the mean of
 *   the `metrics.error_rate` the answering agents report, weighted by their
 *   `requests_per_second` where every reporter gives one (>0), plain mean otherwise. When no agent
 *   reports an error rate in a poll, the verifier's own counted errors stand in: failed health
 *   requests / health requests over the window so far.
 * - Flapping: a condition triggers only when it holds on `consecutivePolls` polls in a row
 *   (default 3, Docker's `retries`); one poll where it does not hold resets its run. When several
 *   conditions trigger on the same poll, an immediate_rollback one wins over a gradual one.
 * - Missing data: an agent that does not answer is failing (above). A window with fewer than
 *   `consecutivePolls` polls in it ends "unverified": no rollback, and no verified-good marker.
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

/** One round of health checks over the fleet. Agents missing from `results` did not answer. */
export interface Poll {
  atMs: number;
  results: AgentObservation[];
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
  /** Polls in a row a condition must hold on before it triggers; default 3. */
  consecutivePolls?: number;
}

export interface Trigger {
  condition: FailureCondition;
  action: RollbackAction;
  /** When the condition had held for `consecutivePolls` polls. */
  atMs: number;
  /** Human sentence: which condition, with the numbers of the triggering poll. */
  reason: string;
  /** Agents failing in the triggering poll (unhealthy or not answering). */
  failingAgents: string[];
}

export type Verdict =
  | { kind: "pending"; pollsInWindow: number; windowEndMs: number }
  | { kind: "verified"; pollsInWindow: number; windowEndMs: number }
  | { kind: "unverified"; pollsInWindow: number; windowEndMs: number; reason: string }
  | { kind: "rollback"; pollsInWindow: number; windowEndMs: number; trigger: Trigger };

export const DEFAULT_CONSECUTIVE_POLLS = 3;

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
  const base = { pollsInWindow: polls.length, windowEndMs: end };

  if (input.agents.length === 0) {
    return { kind: "unverified", ...base, reason: "the stack has no agents to verify" };
  }
  const runs = input.policy.failureConditions.map(() => 0);
  let requests = 0;
  let failures = 0;
  for (const poll of polls) {
    const facts = pollFacts(poll, input.agents);
    requests += input.agents.length;
    failures += facts.failing.length;
    const countedRate = failures / requests;
    const fired: Trigger[] = [];
    input.policy.failureConditions.forEach((condition, index) => {
      const reason = holds(condition, facts, countedRate, input.agents.length);
      runs[index] = reason === undefined ? 0 : runs[index] + 1;
      if (reason !== undefined && runs[index] >= needed) {
        fired.push({
          condition,
          action: condition.action,
          atMs: poll.atMs,
          reason: `${reason} on ${needed} consecutive poll${needed === 1 ? "" : "s"}`,
          failingAgents: facts.failing,
        });
      }
    });
    const trigger = fired.find((t) => t.action === "immediate_rollback") ?? fired[0];
    if (trigger) return { kind: "rollback", ...base, trigger };
  }
  if (input.nowMs < end) return { kind: "pending", ...base };
  if (polls.length < needed) {
    return {
      kind: "unverified",
      ...base,
      reason:
        polls.length === 0
          ? "no health observations inside the verify window"
          : `only ${polls.length} health observation(s) inside the verify window, ${needed} needed`,
    };
  }
  return { kind: "verified", ...base };
}

interface PollFacts {
  failing: string[];
  criticalFailing: string[];
  /** Reported fleet error rate of the poll, undefined when no agent reported one. */
  reportedErrorRate?: number;
}

function pollFacts(poll: Poll, agents: readonly PolicyAgent[]): PollFacts {
  const byAgent = new Map(poll.results.map((result) => [result.agent, result]));
  const failing: string[] = [];
  const criticalFailing: string[] = [];
  const reporters: AgentObservation[] = [];
  for (const agent of agents) {
    const result = byAgent.get(agent.name);
    const isFailing =
      result === undefined || result.outcome === "unhealthy" || result.outcome === "unreachable";
    if (isFailing) {
      failing.push(agent.name);
      if (agent.critical) criticalFailing.push(agent.name);
    } else if (result.errorRate !== undefined && Number.isFinite(result.errorRate)) {
      reporters.push(result);
    }
  }
  return { failing, criticalFailing, reportedErrorRate: fleetErrorRate(reporters) };
}

function fleetErrorRate(reporters: AgentObservation[]): number | undefined {
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

/** The reason the condition holds on this poll, or undefined. */
function holds(
  condition: FailureCondition,
  facts: PollFacts,
  countedRate: number,
  agentCount: number,
): string | undefined {
  switch (condition.kind) {
    case "health_check_failures": {
      const ratio = facts.failing.length / agentCount;
      return ratio > condition.aboveRatio
        ? `health check failures ${percent(ratio)} (${facts.failing.length}/${agentCount}) > ${percent(condition.aboveRatio)}`
        : undefined;
    }
    case "critical_service_unhealthy":
      return facts.criticalFailing.length > 0
        ? `critical service unhealthy: ${facts.criticalFailing.join(", ")}`
        : undefined;
    case "error_rate": {
      const reported = facts.reportedErrorRate !== undefined;
      const rate = facts.reportedErrorRate ?? countedRate;
      return rate > condition.aboveRatio
        ? `error rate ${percent(rate)} (${reported ? "reported by the agents" : "counted by the verifier"}) > ${percent(condition.aboveRatio)}`
        : undefined;
    }
  }
}

function percent(ratio: number): string {
  return `${Math.round(ratio * 1000) / 10}%`;
}
