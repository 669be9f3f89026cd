import type Docker from "dockerode";
import { sleep } from "./abort";
import type { AgentTimeline } from "./bringup";
import { probeSpecOf, scaledTiming } from "./scale";
import { dependentsOf, env, type RehearsalAgent, type RehearsalFleet } from "./specs";

/**
 * The failure scenarios (seed "test failure scenarios and recovery"): which agent misbehaves,
 * how (the stand-in's CASCADE_* misbehaviours), and what the rehearsal watches after bring-up.
 * The target is picked from the fleet's shape unless `--target` names it.
 */

export const SCENARIOS = [
  "all-healthy",
  "never-healthy",
  "crash-loop",
  "slow-model-load",
  "dependency-dies",
  "optional-stage-fails",
  "hanging-health",
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export const SCENARIO_SUMMARY: Record<ScenarioName, string> = {
  "all-healthy": "every agent becomes healthy",
  "never-healthy": "the target never becomes healthy: the rollout stops at it",
  "crash-loop":
    "the target exits shortly after starting: its restart policy applies, restarts are counted",
  "slow-model-load":
    "the target's model load outlasts its start period: failing probes count as retries",
  "dependency-dies":
    "after bring-up the target stops: dependents turn unhealthy or degraded, breakers open",
  "optional-stage-fails":
    "the target's optional dependency check fails: degraded, the rollout goes on",
  "hanging-health": "the target's health endpoint never answers: Docker's timeout applies",
};

export interface ScenarioSetup {
  name: ScenarioName;
  target?: string;
  /** Extra stand-in environment per agent. */
  env: Map<string, Record<string, string>>;
  /** What the plan predicts for the target (slow-model-load). */
  prediction?: { readyAtMs: number; worstMs: number; outcome: "healthy" | "unhealthy" };
}

const mostDependents = (fleet: RehearsalFleet): string => {
  const dependents = dependentsOf(fleet);
  return fleet.agents.reduce((best, agent) =>
    (dependents.get(agent.name)?.length ?? 0) > (dependents.get(best.name)?.length ?? 0)
      ? agent
      : best,
  ).name;
};

const stageTargets = (agent: RehearsalAgent, prefix: string): string[] =>
  probeSpecOf(agent.inputs)
    ?.stages.filter((stage) => stage.name.startsWith(prefix))
    .flatMap((s) => s.targets) ?? [];

function agentByHealthPort(fleet: RehearsalFleet, url: string): RehearsalAgent | undefined {
  const port = new URL(url).port;
  return fleet.agents.find((agent) => env(agent.inputs, "CASCADE_HEALTH_PORT") === port);
}

export function setupScenario(
  fleet: RehearsalFleet,
  name: ScenarioName,
  scale: number,
  minIntervalMs: number,
  target?: string,
): ScenarioSetup {
  const setup: ScenarioSetup = { name, env: new Map() };
  const byName = new Map(fleet.agents.map((agent) => [agent.name, agent]));
  const pick = (fallback: () => string | undefined, what: string): RehearsalAgent => {
    const chosen = target ?? fallback();
    const agent = chosen === undefined ? undefined : byName.get(chosen);
    if (!agent)
      throw new Error(
        `scenario ${name}: ${chosen === undefined ? `the fleet has no ${what}` : `no agent ${chosen}`}`,
      );
    setup.target = agent.name;
    return agent;
  };
  const set = (agent: string, values: Record<string, string>): void => {
    setup.env.set(agent, { ...(setup.env.get(agent) ?? {}), ...values });
  };
  switch (name) {
    case "all-healthy":
      break;
    case "never-healthy":
      set(pick(() => mostDependents(fleet), "agent").name, { CASCADE_NEVER_READY: "1" });
      break;
    case "crash-loop":
      set(pick(() => mostDependents(fleet), "agent").name, {
        CASCADE_CRASH_AFTER_MS: "300",
        CASCADE_CRASH_EXIT_CODE: "3",
      });
      break;
    case "hanging-health":
      set(pick(() => mostDependents(fleet), "agent").name, { CASCADE_HANG: "1" });
      break;
    case "slow-model-load": {
      const agent = pick(
        () => fleet.agents.find((a) => env(a.inputs, "CASCADE_MODEL_CONFIG") !== undefined)?.name,
        "agent with models",
      );
      const timing = scaledTiming(agent.inputs, scale, minIntervalMs);
      // Ready one and a half intervals after the start period: some probes fail and count.
      const readyAtMs = timing.startPeriodMs + Math.round(1.5 * timing.intervalMs);
      const worstMs =
        timing.startPeriodMs + timing.retries * (timing.intervalMs + timing.timeoutMs);
      set(agent.name, { CASCADE_STARTUP_DELAY_MS: "0", CASCADE_MODEL_LOAD_MS: String(readyAtMs) });
      setup.prediction = {
        readyAtMs,
        worstMs,
        outcome: readyAtMs < worstMs ? "healthy" : "unhealthy",
      };
      break;
    }
    case "dependency-dies":
      pick(
        () =>
          fleet.agents.find((a) =>
            fleet.agents.some((b) =>
              stageTargets(b, "dependencies_").some(
                (url) => agentByHealthPort(fleet, url)?.name === a.name,
              ),
            ),
          )?.name,
        "agent others check",
      );
      break;
    case "optional-stage-fails": {
      const agent = pick(
        () => fleet.agents.find((a) => stageTargets(a, "dependencies_optional").length > 0)?.name,
        "agent with an optional dependency check",
      );
      for (const url of stageTargets(agent, "dependencies_optional")) {
        const dependency = agentByHealthPort(fleet, url);
        const check = new URL(url).pathname.replace(/^\/health\/?/, "");
        if (!dependency || check === "")
          throw new Error(
            `scenario ${name}: cannot make ${url} fail (needs a /health/<check> endpoint)`,
          );
        set(dependency.name, { CASCADE_FAILING_CHECKS: check });
      }
      break;
    }
  }
  return setup;
}

/** What an agent reports about itself after the target died (dependency-dies). */
export interface AfterEffect {
  agent: string;
  critical: boolean;
  /** The agent's own /health status, and its view of the dead dependency. */
  status?: string;
  dependency?: { status?: string; critical?: boolean; error?: string };
  breakerOpen: boolean;
  dockerHealth?: string;
}

/**
 * dependency-dies: stops the target (a manual stop: no restart), then watches its dependents,
 * saying after each look what they report (`say`), until each sees the target down.
 */
export async function killAndWatch(
  docker: Docker,
  fleet: RehearsalFleet,
  timelines: AgentTimeline[],
  target: string,
  scale: number,
  minIntervalMs: number,
  signal: AbortSignal,
  say: (message: string) => void = () => undefined,
): Promise<AfterEffect[]> {
  const dead = timelines.find((t) => t.agent === target);
  if (!dead?.containerId || dead.startedMs === undefined)
    throw new Error(`dependency-dies: ${target} was never started`);
  await docker.getContainer(dead.containerId).stop({ t: 1 });
  const watchers = fleet.agents.filter((agent) => agent.dependsOn.includes(target));
  const longest = Math.max(
    ...watchers.map((a) => {
      const t = scaledTiming(a.inputs, scale, minIntervalMs);
      return t.retries * (t.intervalMs + t.timeoutMs);
    }),
  );
  const deadline = performance.now() + longest + 6000;
  let effects: AfterEffect[] = [];
  while (performance.now() < deadline) {
    await sleep(500, signal);
    effects = await Promise.all(watchers.map((agent) => observe(docker, agent, target, timelines)));
    say(`after ${target} stopped: ${effects.map(describeEffect).join("; ")}`);
    if (
      effects.every(
        (e) => e.breakerOpen && (e.dependency?.critical ? e.dockerHealth === "unhealthy" : true),
      )
    )
      break;
  }
  return effects;
}

const describeEffect = (effect: AfterEffect): string =>
  `${effect.agent} ${effect.status ?? "?"}, docker ${effect.dockerHealth ?? "?"}, breaker ${effect.breakerOpen ? "open" : "closed"}`;

async function observe(
  docker: Docker,
  agent: RehearsalAgent,
  target: string,
  timelines: AgentTimeline[],
): Promise<AfterEffect> {
  const port = env(agent.inputs, "CASCADE_HEALTH_PORT");
  const effect: AfterEffect = { agent: agent.name, critical: agent.critical, breakerOpen: false };
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`, {
      signal: AbortSignal.timeout(1000),
    });
    const body = (await response.json()) as {
      status?: string;
      checks?: { dependencies?: Record<string, AfterEffect["dependency"]> };
    };
    effect.status = body.status;
    effect.dependency = body.checks?.dependencies?.[target];
    effect.breakerOpen = /circuit breaker is open/i.test(effect.dependency?.error ?? "");
  } catch (error) {
    effect.status = `no answer (${(error as Error).message})`;
  }
  const id = timelines.find((t) => t.agent === agent.name)?.containerId;
  if (id) {
    const info = await docker.getContainer(id).inspect();
    effect.dockerHealth = (info.State.Health as { Status?: string } | undefined)?.Status;
  }
  return effect;
}
