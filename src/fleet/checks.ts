import { findCycle } from "./graph";
import type { Fleet } from "./model";
import type { Normalized } from "./normalize";
import { didYouMean, type FieldPath, type Problem } from "./problems";

/** What the stack knows that the fleet file does not. */
export interface StackContext {
  stack?: string;
  /** False when the stack's host has no GPU; undefined skips the GPU check. */
  gpuAvailable?: boolean;
}

/** The checks a schema cannot express: names, graph, ports, waves, GPU, models. */
export function semanticProblems({ fleet, locations }: Normalized, stack: StackContext): Problem[] {
  const problems: Problem[] = [];
  const byName = new Map<string, (typeof fleet.agents)[number]>();
  const pathOf = new Map<string, FieldPath>();

  fleet.agents.forEach((agent, i) => {
    const path = locations[i].path;
    const first = pathOf.get(agent.name);
    if (first) {
      problems.push({
        path: [...path, "name"],
        message: `duplicate agent name "${agent.name}" (also in group "${String(first[1])}"); rename one of them`,
      });
      return;
    }
    byName.set(agent.name, agent);
    pathOf.set(agent.name, path);
  });

  for (const [i, agent] of fleet.agents.entries()) {
    const path = locations[i].path;
    agent.dependsOn.forEach((dependency, j) => {
      const target = byName.get(dependency);
      if (!target) {
        problems.push({
          path: [...path, "depends_on", j],
          message: `unknown dependency "${dependency}": no agent of that name in ${fleet.source}.${didYouMean(dependency, byName.keys())}`,
        });
      } else if (agent.wave && target.wave > agent.wave) {
        problems.push({
          path: [...path, "depends_on", j],
          message: `"${agent.name}" is declared in ${waveName(fleet, agent.wave)} but depends on "${dependency}" in the later ${waveName(fleet, target.wave)}; move "${agent.name}" to ${waveName(fleet, target.wave)} or later, or drop the dependency`,
        });
      }
    });
  }

  const edges = new Map(
    [...byName.values()].map((agent) => [agent.name, agent.dependsOn.filter((d) => byName.has(d))]),
  );
  const cycle = findCycle([...byName.keys()], edges);
  if (cycle) {
    const [from, to] = cycle;
    problems.push({
      path: [...pathOf.get(from)!, "depends_on", byName.get(from)!.dependsOn.indexOf(to)],
      message: `dependency cycle: ${cycle.join(" -> ")}; remove one of these dependencies`,
    });
  }

  problems.push(...portClashes(fleet, locations), ...agentProblems(fleet, locations, stack));
  fleet.waves.forEach((wave, i) => {
    if (wave.windowEndSeconds <= wave.windowStartSeconds) {
      problems.push({
        path: ["waves", i, "window"],
        message: `wave "${wave.name}" window ends before it starts; write [start, end]`,
      });
    }
  });
  return problems;
}

function portClashes(fleet: Fleet, locations: Normalized["locations"]): Problem[] {
  const problems: Problem[] = [];
  const owner = new Map<number, string>();
  fleet.agents.forEach((agent, i) => {
    const ports: [number | undefined, string][] = [
      [agent.servicePort, "service"],
      [agent.healthPort, "health"],
    ];
    for (const [port, kind] of ports) {
      if (port === undefined) continue;
      const taken = owner.get(port);
      if (taken !== undefined && taken !== agent.name) {
        problems.push({
          path: [...locations[i].path, "ports", kind],
          message: `port ${port} of "${agent.name}" is already used by "${taken}" on host ${fleet.host}; pick a free port from the port plan`,
        });
      } else {
        owner.set(port, agent.name);
      }
    }
  });
  return problems;
}

function agentProblems(
  fleet: Fleet,
  locations: Normalized["locations"],
  stack: StackContext,
): Problem[] {
  const problems: Problem[] = [];
  fleet.agents.forEach((agent, i) => {
    const { entry, path } = locations[i];
    if (agent.gpu && stack.gpuAvailable === false) {
      problems.push({
        path: [...path, "gpu"],
        message: `"${agent.name}" asks for a GPU but stack ${stack.stack ?? "(this stack)"} is configured without one (cascade:gpu is false); set gpu: false for this agent, or cascade:gpu: true if the host has an NVIDIA GPU`,
      });
    }
    const declaredChecks =
      "dependency_checks" in entry.health_check ? entry.health_check.dependency_checks : undefined;
    if (Array.isArray(declaredChecks)) {
      declaredChecks.forEach((check, j) => {
        if (!agent.dependsOn.includes(check.service)) {
          problems.push({
            path: [...path, "health_check", "dependency_checks", j, "service"],
            message: `dependency check on "${check.service}", which "${agent.name}" does not depend on; add it to depends_on or remove the check`,
          });
        }
      });
    }
    const models = agent.models;
    if (models) {
      if (models.preload.length > models.maxModelsInMemory) {
        problems.push({
          path: [...path, "models", "preload"],
          message: `${models.preload.length} models to preload but max_models_in_memory is ${models.maxModelsInMemory}; preload fewer or raise the limit`,
        });
      }
      const both = models.preload.filter((model) => models.onDemand.includes(model));
      if (both.length) {
        problems.push({
          path: [...path, "models", "on_demand"],
          message: `${both.join(", ")} listed both as preload and on_demand; keep each model in one list`,
        });
      }
    }
  });
  return problems;
}

function waveName(fleet: Fleet, index: number): string {
  return fleet.waves[index - 1]?.name ?? `wave ${index}`;
}
