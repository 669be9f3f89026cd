import { strict as assert } from "node:assert";
import fc from "fast-check";
import { findCycle, topologicalOrder } from "../../src/fleet/graph";
import type { Fleet } from "../../src/fleet/model";
import { planFleet } from "../../src/fleet/planner";
import { fleetOf, health, type AgentSketch } from "../support/fleet-builder";

/** A random acyclic fleet: agent i may depend only on agents before it, in the same or an earlier wave. */
const acyclicFleet = fc
  .array(
    fc.record({
      waveStep: fc.nat({ max: 1 }),
      worst: fc.integer({ min: 0, max: 120 }),
      dependencyPicks: fc.array(fc.nat(), { maxLength: 4 }),
    }),
    { minLength: 1, maxLength: 40 },
  )
  .map((rows) => {
    const sketch: Record<string, AgentSketch> = {};
    let wave = 1;
    rows.forEach((row, i) => {
      wave += row.waveStep;
      const dependsOn =
        i === 0 ? [] : [...new Set(row.dependencyPicks.map((pick) => `a${pick % i}`))];
      sketch[`a${i}`] = { wave, worst: row.worst, dependsOn };
    });
    return fleetOf(sketch);
  });

/** The same fleets with Docker-like health timing, some agents preloading models. */
const timedFleet = fc
  .tuple(
    acyclicFleet,
    fc.array(
      fc.record({
        intervalSeconds: fc.integer({ min: 1, max: 30 }),
        timeoutSeconds: fc.integer({ min: 1, max: 10 }),
        retries: fc.integer({ min: 1, max: 5 }),
        startPeriodSeconds: fc.integer({ min: 0, max: 200 }),
        preload: fc.boolean(),
      }),
      { minLength: 40, maxLength: 40 },
    ),
  )
  .map(([fleet, timings]): Fleet => ({
    ...fleet,
    agents: fleet.agents.map((agent, i) => {
      const { preload, ...timing } = timings[i];
      return {
        ...agent,
        health: health(timing),
        models: preload
          ? {
              preload: ["m"],
              onDemand: [],
              maxModelsInMemory: 1,
              evictionPolicy: "lru",
              idleTimeoutSeconds: 60,
            }
          : undefined,
      };
    }),
  }));

describe("planner properties", () => {
  it("best <= expected <= worst, for each agent and for when it is healthy", () => {
    fc.assert(
      fc.property(
        timedFleet,
        fc.constantFrom("waves" as const, "dependencies" as const),
        (fleet, ordering) => {
          for (const agent of planFleet(fleet, ordering).agents) {
            assert.ok(agent.bestSeconds <= agent.expectedSeconds, agent.name);
            assert.ok(agent.expectedSeconds <= agent.worstSeconds, agent.name);
            assert.ok(agent.earliestReadySeconds <= agent.expectedReadySeconds, agent.name);
            assert.ok(agent.expectedReadySeconds <= agent.readyBySeconds, agent.name);
          }
        },
      ),
    );
  });

  it("the expected critical path is a chain whose expected times add up to when all are healthy", () => {
    fc.assert(
      fc.property(
        timedFleet,
        fc.constantFrom("waves" as const, "dependencies" as const),
        (fleet, ordering) => {
          const plan = planFleet(fleet, ordering);
          const byName = new Map(plan.agents.map((a) => [a.name, a]));
          const { agents: path, seconds } = plan.criticalPath.expected;
          for (let i = 1; i < path.length; i++)
            assert.ok(byName.get(path[i])!.dependsOn.includes(path[i - 1]));
          assert.equal(
            path.reduce((sum, name) => sum + byName.get(name)!.expectedSeconds, 0),
            seconds,
          );
          assert.equal(seconds, Math.max(...plan.agents.map((a) => a.expectedReadySeconds)));
          for (const wave of plan.waves) {
            const members = plan.agents.filter((a) => a.wave === wave.index);
            if (members.length > 0)
              assert.equal(
                wave.expectedReadySeconds,
                Math.max(...members.map((a) => a.expectedReadySeconds)),
              );
          }
        },
      ),
    );
  });

  it("waves respect every edge, in both orderings", () => {
    fc.assert(
      fc.property(acyclicFleet, (fleet) => {
        for (const ordering of ["waves", "dependencies"] as const) {
          const plan = planFleet(fleet, ordering);
          const byName = new Map(plan.agents.map((a) => [a.name, a]));
          for (const agent of fleet.agents) {
            const planned = byName.get(agent.name)!;
            for (const dependency of agent.dependsOn) {
              const before = byName.get(dependency)!;
              assert.ok(before.level < planned.level, "topological level grows along an edge");
              assert.ok(before.wave <= planned.wave, "declared wave never goes back along an edge");
              assert.ok(
                before.readyBySeconds <= planned.startBySeconds,
                "starts after its dependency is healthy",
              );
            }
            for (const edge of planned.dependsOn) {
              assert.ok(byName.get(edge)!.readyBySeconds <= planned.startBySeconds);
            }
          }
        }
      }),
    );
  });

  it("the dependencies critical path is never longer than the waves one", () => {
    fc.assert(
      fc.property(acyclicFleet, (fleet) => {
        const byDependencies = planFleet(fleet, "dependencies").criticalPath.seconds;
        const byWaves = planFleet(fleet, "waves").criticalPath.seconds;
        assert.ok(byDependencies <= byWaves, `${byDependencies} > ${byWaves}`);
      }),
    );
  });

  it("the critical path is a chain of edges whose worst cases add up to its length", () => {
    fc.assert(
      fc.property(
        acyclicFleet,
        fc.constantFrom("waves" as const, "dependencies" as const),
        (fleet, ordering) => {
          const plan = planFleet(fleet, ordering);
          const byName = new Map(plan.agents.map((a) => [a.name, a]));
          const path = plan.criticalPath.agents;
          for (let i = 1; i < path.length; i++) {
            assert.ok(byName.get(path[i])!.dependsOn.includes(path[i - 1]));
          }
          const total = path.reduce((sum, name) => sum + byName.get(name)!.worstSeconds, 0);
          assert.equal(total, plan.criticalPath.seconds);
          assert.equal(
            plan.criticalPath.seconds,
            Math.max(...plan.agents.map((a) => a.readyBySeconds)),
          );
        },
      ),
    );
  });

  it("a random cycle is always reported, as a real closed path", () => {
    fc.assert(
      fc.property(
        acyclicFleet.filter((fleet) => fleet.agents.length >= 2),
        fc.array(fc.nat(), { minLength: 2, maxLength: 6 }),
        (fleet, picks) => {
          const names = fleet.agents.map((a) => a.name);
          const members = [...new Set(picks.map((pick) => names[pick % names.length]))];
          fc.pre(members.length >= 2);
          const edges = new Map(fleet.agents.map((a) => [a.name, [...a.dependsOn]]));
          members.forEach((name, i) => edges.get(name)!.push(members[(i + 1) % members.length]));

          const cycle = findCycle(names, edges);
          assert.ok(cycle, "cycle reported");
          assert.equal(cycle[0], cycle[cycle.length - 1]);
          for (let i = 1; i < cycle.length; i++)
            assert.ok(edges.get(cycle[i - 1])!.includes(cycle[i]));
          assert.ok(topologicalOrder(names, edges).blocked.length > 0);
        },
      ),
    );
  });

  it("an acyclic graph has no cycle and a complete topological order", () => {
    fc.assert(
      fc.property(acyclicFleet, (fleet) => {
        const names = fleet.agents.map((a) => a.name);
        const edges = new Map(fleet.agents.map((a) => [a.name, a.dependsOn]));
        assert.equal(findCycle(names, edges), undefined);
        assert.equal(topologicalOrder(names, edges).order.length, names.length);
      }),
    );
  });
});
