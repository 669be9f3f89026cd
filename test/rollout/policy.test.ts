import { strict as assert } from "node:assert";
import fc from "fast-check";
import {
  evaluatePolicy,
  type AgentObservation,
  type Poll,
  type PolicyInput,
} from "../../src/rollout/policy";
import { AGENTS, SEED_POLICY, healthy, pollSeries } from "./fixtures";

const END = 1_000_000; // deploy end, ms
const WINDOW_END = END + 300_000;
const ALL = AGENTS.map((a) => a.name);

function input(polls: Poll[], nowMs: number, extra: Partial<PolicyInput> = {}): PolicyInput {
  return { policy: SEED_POLICY, agents: AGENTS, deployEndMs: END, nowMs, polls, ...extra };
}

function withOutcome(names: string[], outcome: AgentObservation["outcome"]): AgentObservation[] {
  return ALL.map((agent) => ({ agent, outcome: names.includes(agent) ? outcome : "healthy" }));
}

describe("rollback policy (seed §7.1)", () => {
  it("verifies a healthy fleet once the window has closed, not before", () => {
    const polls = pollSeries(END, 10_000, 31, () => healthy(ALL));
    assert.equal(evaluatePolicy(input(polls, WINDOW_END - 1)).kind, "pending");
    const verdict = evaluatePolicy(input(polls, WINDOW_END));
    assert.equal(verdict.kind, "verified");
    assert.equal(verdict.pollsInWindow, 31);
  });

  describe("health_check_failures > 50% -> immediate_rollback", () => {
    it("triggers when 3 of 4 agents fail on 3 consecutive polls", () => {
      const polls = pollSeries(END, 10_000, 3, () => withOutcome(["A", "B", "C"], "unhealthy"));
      const verdict = evaluatePolicy(input(polls, END + 20_000));
      assert.equal(verdict.kind, "rollback");
      assert.ok(verdict.kind === "rollback");
      assert.equal(verdict.trigger.condition.kind, "health_check_failures");
      assert.equal(verdict.trigger.action, "immediate_rollback");
      assert.equal(verdict.trigger.atMs, END + 20_000);
      assert.deepEqual(verdict.trigger.failingAgents, ["A", "B", "C"]);
      assert.match(verdict.trigger.reason, /75% \(3\/4\) > 50%/);
    });

    it("does not trigger at exactly 50% (strictly above); the counted error rate does", () => {
      const polls = pollSeries(END, 10_000, 31, () => withOutcome(["A", "B"], "unhealthy"));
      const verdict = evaluatePolicy(input(polls, WINDOW_END));
      // A and B are not critical, error rates not reported; counted rate 50% > 10% though:
      assert.equal(verdict.kind, "rollback");
      assert.ok(verdict.kind === "rollback");
      assert.equal(verdict.trigger.condition.kind, "error_rate");
    });

    it("counts degraded agents as passing", () => {
      const polls = pollSeries(END, 10_000, 31, () => withOutcome(["A", "B", "C"], "degraded"));
      assert.equal(evaluatePolicy(input(polls, WINDOW_END)).kind, "verified");
    });
  });

  describe("critical_service_unhealthy -> immediate_rollback", () => {
    it("triggers when a critical agent is unhealthy on 3 consecutive polls", () => {
      const polls = pollSeries(END, 10_000, 3, () => withOutcome(["ServiceRegistry"], "unhealthy"));
      const verdict = evaluatePolicy(input(polls, END + 30_000));
      assert.ok(verdict.kind === "rollback");
      assert.equal(verdict.trigger.condition.kind, "critical_service_unhealthy");
      assert.equal(verdict.trigger.action, "immediate_rollback");
      assert.match(verdict.trigger.reason, /ServiceRegistry/);
    });

    it("ignores a non-critical agent failing alone (below every threshold)", () => {
      const polls = pollSeries(END, 10_000, 31, (i) =>
        i % 10 === 0 ? withOutcome(["A"], "unhealthy") : healthy(ALL),
      );
      assert.equal(evaluatePolicy(input(polls, WINDOW_END)).kind, "verified");
    });
  });

  describe("error_rate > 10% -> gradual_rollback", () => {
    it("triggers from the reported metrics.error_rate", () => {
      const polls = pollSeries(END, 10_000, 3, () => healthy(ALL, { errorRate: 0.2 }));
      const verdict = evaluatePolicy(input(polls, END + 20_000));
      assert.ok(verdict.kind === "rollback");
      assert.equal(verdict.trigger.condition.kind, "error_rate");
      assert.equal(verdict.trigger.action, "gradual_rollback");
      assert.match(verdict.trigger.reason, /20% \(reported by the agents\) > 10%/);
    });

    it("weights reported rates by requests_per_second when every reporter gives it", () => {
      // 1 agent at 50% with 1 rps, 3 at 0% with 100 rps: weighted 0.17% -> fine; plain mean 12.5%.
      const results = (): AgentObservation[] => [
        { agent: "ServiceRegistry", outcome: "healthy", errorRate: 0.5, requestsPerSecond: 1 },
        ...["A", "B", "C"].map((agent) => ({
          agent,
          outcome: "healthy" as const,
          errorRate: 0,
          requestsPerSecond: 100,
        })),
      ];
      assert.equal(
        evaluatePolicy(input(pollSeries(END, 10_000, 31, results), WINDOW_END)).kind,
        "verified",
      );
      const unweighted = (): AgentObservation[] =>
        results().map(({ requestsPerSecond: _, ...r }) => r);
      assert.equal(
        evaluatePolicy(input(pollSeries(END, 10_000, 31, unweighted), WINDOW_END)).kind,
        "rollback",
      );
    });

    it("does not trigger at exactly 10%", () => {
      const polls = pollSeries(END, 10_000, 31, () => healthy(ALL, { errorRate: 0.1 }));
      assert.equal(evaluatePolicy(input(polls, WINDOW_END)).kind, "verified");
    });

    it("falls back to the verifier's counted errors when no agent reports a rate", () => {
      // One non-critical agent out of four never answers: 25% counted errors.
      const polls = pollSeries(END, 10_000, 3, () => healthy(["ServiceRegistry", "B", "C"]));
      const verdict = evaluatePolicy(input(polls, END + 20_000));
      assert.ok(verdict.kind === "rollback");
      assert.equal(verdict.trigger.condition.kind, "error_rate");
      assert.match(verdict.trigger.reason, /counted by the verifier/);
    });

    it("prefers an immediate trigger over a gradual one on the same poll", () => {
      const polls = pollSeries(END, 10_000, 3, () => [
        { agent: "ServiceRegistry", outcome: "unhealthy" },
        ...healthy(["A", "B", "C"], { errorRate: 0.9 }),
      ]);
      const verdict = evaluatePolicy(input(polls, END + 20_000));
      assert.ok(verdict.kind === "rollback");
      assert.equal(verdict.trigger.action, "immediate_rollback");
    });
  });

  describe("window boundaries", () => {
    it("ignores polls before the deploy ended and after the window", () => {
      const before = pollSeries(END - 40_000, 10_000, 4, () => withOutcome(ALL, "unhealthy"));
      const after = pollSeries(WINDOW_END + 1, 10_000, 4, () => withOutcome(ALL, "unhealthy"));
      const inside = pollSeries(END, 10_000, 31, () => healthy(ALL));
      const verdict = evaluatePolicy(input([...before, ...inside, ...after], WINDOW_END + 50_000));
      assert.equal(verdict.kind, "verified");
      assert.equal(verdict.pollsInWindow, 31);
    });

    it("includes polls exactly at the window's start and end", () => {
      const polls: Poll[] = [
        { atMs: END, results: withOutcome(ALL, "unhealthy") },
        { atMs: WINDOW_END - 1, results: withOutcome(ALL, "unhealthy") },
        { atMs: WINDOW_END, results: withOutcome(ALL, "unhealthy") },
      ];
      assert.equal(evaluatePolicy(input(polls, WINDOW_END)).kind, "rollback");
    });

    it("ignores polls from the future of `now`", () => {
      const polls = pollSeries(END, 10_000, 3, () => withOutcome(ALL, "unhealthy"));
      assert.equal(evaluatePolicy(input(polls, END + 10_000)).kind, "pending");
    });
  });

  describe("flapping", () => {
    it("alternating failing and healthy polls never trigger an immediate rollback; the sustained counted error rate triggers the gradual one", () => {
      const polls = pollSeries(END, 10_000, 31, (i) =>
        i % 2 ? withOutcome(ALL, "unhealthy") : healthy(ALL),
      );
      // Each condition's run resets on a healthy poll, so no run reaches 3 -- but counted errors
      // accumulate to ~48% over the window and the gradual condition holds on every poll from
      // the first failure on; that is a real, sustained error rate, not a flap.
      const verdict = evaluatePolicy(input(polls, WINDOW_END));
      assert.ok(verdict.kind === "rollback");
      assert.equal(verdict.trigger.action, "gradual_rollback");
    });

    it("does not trigger the immediate conditions on two failing polls in a row", () => {
      const polls = pollSeries(END, 10_000, 31, (i) =>
        i % 3 === 2
          ? healthy(ALL, { errorRate: 0 })
          : withOutcome(["ServiceRegistry", "A", "B"], "unhealthy"),
      );
      const verdict = evaluatePolicy(input(polls, WINDOW_END));
      assert.ok(verdict.kind !== "rollback" || verdict.trigger.action !== "immediate_rollback");
    });

    it("honours consecutivePolls = 1 (trigger on the first failing poll)", () => {
      const polls = [{ atMs: END, results: withOutcome(["ServiceRegistry"], "unreachable") }];
      const verdict = evaluatePolicy(input(polls, END, { consecutivePolls: 1 }));
      assert.ok(verdict.kind === "rollback");
      assert.match(verdict.trigger.reason, /on 1 consecutive poll$/);
    });

    it("property: with fewer failing polls in a row than required, no immediate trigger", () => {
      fc.assert(
        fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 31 }), (fails) => {
          // Never three failing polls in a row:
          const capped = fails.map((f, i) => f && !(fails[i - 1] && fails[i - 2]));
          const polls = capped.map((fail, i) => ({
            atMs: END + i * 10_000,
            results: fail ? withOutcome(ALL, "unreachable") : healthy(ALL, { errorRate: 0 }),
          }));
          const verdict = evaluatePolicy(input(polls, WINDOW_END));
          return verdict.kind !== "rollback" || verdict.trigger.action !== "immediate_rollback";
        }),
      );
    });
  });

  describe("missing data", () => {
    it("counts an agent absent from a poll as failing", () => {
      const polls = pollSeries(END, 10_000, 3, () => healthy(["A"]));
      const verdict = evaluatePolicy(input(polls, END + 20_000));
      assert.ok(verdict.kind === "rollback");
      assert.equal(verdict.trigger.condition.kind, "health_check_failures");
      assert.deepEqual(verdict.trigger.failingAgents, ["ServiceRegistry", "B", "C"]);
    });

    it("is unverified, not rolled back, when the window holds no observations", () => {
      const verdict = evaluatePolicy(input([], WINDOW_END));
      assert.equal(verdict.kind, "unverified");
      assert.ok(verdict.kind === "unverified");
      assert.match(verdict.reason, /no health observations/);
    });

    it("is unverified with fewer polls than a trigger needs", () => {
      const verdict = evaluatePolicy(
        input(
          pollSeries(END, 10_000, 2, () => healthy(ALL)),
          WINDOW_END,
        ),
      );
      assert.ok(verdict.kind === "unverified");
      assert.match(verdict.reason, /only 2 health observation/);
    });

    it("is unverified for a stack without agents", () => {
      assert.equal(evaluatePolicy(input([], WINDOW_END, { agents: [] })).kind, "unverified");
    });
  });

  it("property: an all-healthy window with enough polls is always verified", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 60 }),
        fc.double({ min: 0, max: 0.1, noNaN: true }),
        (count, rate) => {
          const step = Math.floor(300_000 / count);
          const polls = pollSeries(END, step, count, () => healthy(ALL, { errorRate: rate }));
          return evaluatePolicy(input(polls, WINDOW_END)).kind === "verified";
        },
      ),
    );
  });

  it("rejects a consecutivePolls that is not a positive integer", () => {
    assert.throws(() => evaluatePolicy(input([], END, { consecutivePolls: 0 })), RangeError);
  });
});
