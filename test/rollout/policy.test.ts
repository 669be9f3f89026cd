import { strict as assert } from "node:assert";
import fc from "fast-check";
import {
  evaluatePolicy,
  type AgentObservation,
  type Poll,
  type PolicyInput,
} from "../../src/rollout/policy";
import { AGENTS, healthy, pollSeries } from "./fixtures";
import { SEED_ROLLBACK_POLICY } from "../../src/fleet/defaults";

const END = 1_000_000; // deploy end, ms
const WINDOW_END = END + 300_000;
const ALL = AGENTS.map((a) => a.name);

function input(polls: Poll[], nowMs: number, extra: Partial<PolicyInput> = {}): PolicyInput {
  return { policy: SEED_ROLLBACK_POLICY, agents: AGENTS, deployEndMs: END, nowMs, polls, ...extra };
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
      assert.match(verdict.trigger.reason, /75% \(3\/4 agents failing\) > 50%/);
    });

    it("does not trigger at exactly 50% (strictly above)", () => {
      const polls = pollSeries(END, 10_000, 31, () => withOutcome(["A", "B"], "unhealthy"));
      // A and B are not critical and no agent reports an error rate: nothing else holds.
      assert.equal(evaluatePolicy(input(polls, WINDOW_END)).kind, "verified");
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

    it("means request errors only: 4 of 35 non-critical agents down, with no rate reported, is no error rate", () => {
      const agents = Array.from({ length: 35 }, (_, i) => ({ name: `A${i}`, critical: i === 0 }));
      const down = new Set(["A31", "A32", "A33", "A34"]);
      const polls = pollSeries(END, 10_000, 31, () =>
        agents
          .filter((agent) => !down.has(agent.name))
          .map((agent) => ({ agent: agent.name, outcome: "healthy" as const })),
      );
      const verdict = evaluatePolicy(input(polls, WINDOW_END, { agents }));
      assert.equal(verdict.kind, "verified", JSON.stringify(verdict));
      assert.deepEqual(verdict.measurements.errorRate, { source: "none", samples: 0 });
      assert.equal(verdict.measurements.agents.length, 4);
    });

    it("counts the rate a failing agent reports: request errors do not drop out because the agent is unhealthy", () => {
      // A answers 503 with 90% of its requests failing; B and C fine; all at 100 rps: 30%.
      const polls = pollSeries(END, 10_000, 3, () => [
        { agent: "ServiceRegistry", outcome: "healthy", errorRate: 0, requestsPerSecond: 100 },
        { agent: "A", outcome: "unhealthy", errorRate: 0.9, requestsPerSecond: 100 },
        ...healthy(["B", "C"], { errorRate: 0, requestsPerSecond: 100 }),
      ]);
      const verdict = evaluatePolicy(input(polls, END + 20_000));
      assert.ok(verdict.kind === "rollback", JSON.stringify(verdict));
      assert.equal(verdict.trigger.condition.kind, "error_rate");
      assert.match(verdict.trigger.reason, /error rate 22\.5% \(reported by the agents\) > 10%/);
    });

    it("takes the rate measured by Prometheus over the window when the poll carries one", () => {
      const polls = pollSeries(END, 10_000, 3, () => healthy(ALL, { errorRate: 0 })).map(
        (poll) => ({ ...poll, errorRate: { rate: 0.4, source: "prometheus" as const } }),
      );
      const verdict = evaluatePolicy(input(polls, END + 20_000));
      assert.ok(verdict.kind === "rollback");
      assert.match(verdict.trigger.reason, /error rate 40% \(Prometheus, over the window\) > 10%/);
      assert.equal(verdict.measurements.errorRate.source, "prometheus");
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

  describe("flapping: judged over the window", () => {
    it("a critical agent failing 2 of every 3 polls triggers an immediate rollback (failure ratio)", () => {
      const polls = pollSeries(END, 10_000, 31, (i) =>
        i % 3 === 2 ? healthy(ALL) : withOutcome(["ServiceRegistry"], "unhealthy"),
      );
      const verdict = evaluatePolicy(input(polls, WINDOW_END));
      assert.ok(verdict.kind === "rollback", JSON.stringify(verdict));
      assert.equal(verdict.trigger.condition.kind, "critical_service_unhealthy");
      // Failed polls 0, 1, 3: the third failure, at the fourth poll, is 3 of 4 (75% > 25%).
      assert.equal(verdict.trigger.atMs, END + 30_000);
      assert.match(verdict.trigger.reason, /ServiceRegistry failed 3 of 4 polls \(75% > 25%\)/);
    });

    it("every agent failing every other poll: more than half the fleet is failing", () => {
      const polls = pollSeries(END, 10_000, 31, (i) =>
        i % 2 ? withOutcome(ALL, "unhealthy") : healthy(ALL),
      );
      const verdict = evaluatePolicy(input(polls, WINDOW_END));
      assert.ok(verdict.kind === "rollback");
      assert.equal(verdict.trigger.action, "immediate_rollback");
      assert.equal(verdict.trigger.atMs, END + 50_000, "at the third failure (3 of 6)");
    });

    it("an occasional failed poll (1 in 10) of a critical agent is not a failure", () => {
      const polls = pollSeries(END, 10_000, 31, (i) =>
        i % 10 === 9 ? withOutcome(["ServiceRegistry"], "unreachable") : healthy(ALL),
      );
      const verdict = evaluatePolicy(input(polls, WINDOW_END));
      assert.equal(verdict.kind, "verified");
      assert.deepEqual(verdict.measurements.agents, [
        { agent: "ServiceRegistry", critical: true, failed: 3, polls: 31, longestRun: 1 },
      ]);
    });

    it("an error rate flapping around 10% whose window mean is above it triggers the gradual rollback", () => {
      // 5% and 20% in turn: never three polls above 10% in a row, but 12.5% over the window.
      const polls = pollSeries(END, 10_000, 31, (i) =>
        healthy(ALL, { errorRate: i % 2 ? 0.2 : 0.05 }),
      );
      const verdict = evaluatePolicy(input(polls, WINDOW_END));
      assert.ok(verdict.kind === "rollback");
      assert.equal(verdict.trigger.condition.kind, "error_rate");
      assert.match(verdict.trigger.reason, /averaged 12\.5% over 4 polls/);
    });

    it("honours consecutivePolls = 1 (trigger on the first failing poll)", () => {
      const polls = [{ atMs: END, results: withOutcome(["ServiceRegistry"], "unreachable") }];
      const verdict = evaluatePolicy(input(polls, END, { consecutivePolls: 1 }));
      assert.ok(verdict.kind === "rollback");
      assert.match(verdict.trigger.reason, /ServiceRegistry failed 1 poll in a row/);
    });

    it("property: three failed polls in a row of the critical agent always trigger", () => {
      fc.assert(
        fc.property(fc.array(fc.boolean(), { maxLength: 25 }), (prefix) => {
          const fails = [...prefix, true, true, true];
          const polls = fails.map((fail, i) => ({
            atMs: END + i * 10_000,
            results: fail ? withOutcome(["ServiceRegistry"], "unhealthy") : healthy(ALL),
          }));
          const verdict = evaluatePolicy(input(polls, WINDOW_END));
          return verdict.kind === "rollback" && verdict.trigger.action === "immediate_rollback";
        }),
      );
    });

    it("property: a critical agent that fails fewer than 3 polls in the window never triggers", () => {
      fc.assert(
        fc.property(fc.uniqueArray(fc.nat(30), { maxLength: 2 }), (failedAt) => {
          const polls = pollSeries(END, 10_000, 31, (i) =>
            failedAt.includes(i) ? withOutcome(["ServiceRegistry"], "unreachable") : healthy(ALL),
          );
          return evaluatePolicy(input(polls, WINDOW_END)).kind === "verified";
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
