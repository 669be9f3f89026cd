import { findCycle } from "./graph";
import type { Fleet } from "./model";
import { kebabName, NAME_MAX_LENGTH, RESERVED_NAMES } from "./names";
import type { Normalized } from "./normalize";
import {
  formatFieldPath,
  listNames,
  quote,
  Suggester,
  type FieldPath,
  type Problem,
} from "./problems";

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
        message: `duplicate agent name ${quote(agent.name)} (also in group ${quote(first[1])}); rename one of them`,
      });
      return;
    }
    byName.set(agent.name, agent);
    pathOf.set(agent.name, path);
  });

  const agentSuggester = new Suggester(byName.keys());
  for (const [i, agent] of fleet.agents.entries()) {
    const path = locations[i].path;
    const listed = new Map<string, number>();
    agent.dependsOn.forEach((dependency, j) => {
      const target = byName.get(dependency);
      const earlier = listed.get(dependency);
      listed.set(dependency, earlier ?? j);
      if (earlier !== undefined) {
        problems.push({
          path: [...path, "depends_on", j],
          message: `${quote(dependency)} is listed twice in depends_on (also at [${earlier}]); remove the repeat`,
        });
      } else if (!target) {
        problems.push({
          path: [...path, "depends_on", j],
          message: `unknown dependency ${quote(dependency)}: no agent of that name in ${fleet.source}.${agentSuggester.didYouMean(dependency)}`,
        });
      } else if (agent.wave && target.wave > agent.wave) {
        problems.push({
          path: [...path, "depends_on", j],
          message: `${quote(agent.name)} is declared in ${waveName(fleet, agent.wave)} but depends on ${quote(dependency)} in the later ${waveName(fleet, target.wave)}; move ${quote(agent.name)} to ${waveName(fleet, target.wave)} or later, or drop the dependency`,
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

  problems.push(
    ...convertedNameProblems(fleet, locations),
    ...portClashes(fleet, locations),
    ...agentProblems(fleet, locations, stack),
    ...waveProblems(fleet),
  );
  return problems;
}

function waveProblems(fleet: Fleet): Problem[] {
  const problems: Problem[] = [];
  const first = new Map<string, number>();
  fleet.waves.forEach((wave, i) => {
    const earlier = first.get(wave.name);
    if (earlier !== undefined) {
      problems.push({
        path: ["waves", i, "name"],
        message: `wave ${quote(wave.name)} is declared twice (also waves[${earlier}]); give each wave its own name`,
      });
    } else {
      first.set(wave.name, i);
    }
    if (wave.windowEndSeconds <= wave.windowStartSeconds) {
      problems.push({
        path: ["waves", i, "window"],
        message: `wave ${quote(wave.name)} window ends before it starts; write [start, end]`,
      });
    }
  });
  return problems;
}

/**
 * Agent names as the targets convert them (container `cascade-<stack>-<kebab>`, Kubernetes
 * DNS-1123 label): too long, taken by the stack's own containers, or shared by two agents.
 */
function convertedNameProblems(fleet: Fleet, locations: Normalized["locations"]): Problem[] {
  const problems: Problem[] = [];
  const owner = new Map<string, { name: string; path: FieldPath }>();
  fleet.agents.forEach((agent, i) => {
    const path = [...locations[i].path, "name"];
    const converted = kebabName(agent.name);
    const reserved = RESERVED_NAMES.get(converted);
    const other = owner.get(converted);
    if (converted.length > NAME_MAX_LENGTH) {
      problems.push({
        path,
        message: `${quote(agent.name)} becomes ${quote(converted)} as a container and Kubernetes name, ${converted.length} characters where at most ${NAME_MAX_LENGTH} fit; shorten the name`,
      });
    } else if (reserved) {
      problems.push({
        path,
        message: `${quote(agent.name)} becomes ${quote(converted)}, the name of ${reserved}; rename the agent`,
      });
    } else if (other && other.name !== agent.name) {
      problems.push({
        path,
        message: `${quote(agent.name)} and ${quote(other.name)} (${formatFieldPath(other.path)}) both become ${quote(converted)} as container and Kubernetes names; rename one of them`,
      });
    } else if (!other) {
      owner.set(converted, { name: agent.name, path });
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
          message: `port ${port} of ${quote(agent.name)} is already used by ${quote(taken)} on host ${fleet.host}; pick a free port from the port plan`,
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
        message: `${quote(agent.name)} asks for a GPU but stack ${stack.stack ?? "(this stack)"} is configured without one (cascade:gpu is false); set gpu: false for this agent, cascade:gpu: true if the host has an NVIDIA GPU, or cascade:runGpuAgentsOnCpu: true to run it without one (to try the fleet on a machine without a GPU)`,
      });
    }
    const declaredChecks =
      "dependency_checks" in entry.health_check ? entry.health_check.dependency_checks : undefined;
    if (Array.isArray(declaredChecks)) {
      const dependencies = new Set(agent.dependsOn);
      declaredChecks.forEach((check, j) => {
        if (!dependencies.has(check.service)) {
          problems.push({
            path: [...path, "health_check", "dependency_checks", j, "service"],
            message: `dependency check on ${quote(check.service)}, which ${quote(agent.name)} does not depend on; add it to depends_on or remove the check`,
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
      const preload = new Set(models.preload);
      const both = [...new Set(models.onDemand.filter((model) => preload.has(model)))];
      if (both.length) {
        problems.push({
          path: [...path, "models", "on_demand"],
          message: `${listNames(both)} listed both as preload and on_demand; keep each model in one list`,
        });
      }
    }
  });
  return problems;
}

function waveName(fleet: Fleet, index: number): string {
  return fleet.waves[index - 1]?.name ?? `wave ${index}`;
}
