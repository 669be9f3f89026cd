import { formatDuration } from "../fleet/duration";
import type { Plan } from "../fleet/planner";
import { renderTable, wrapList } from "./table";

/** The shape `cascade plan --json` prints; a contract for scripts, so change it with care. */
export interface PlanJson {
  stack: string | null;
  ordering: Plan["ordering"];
  waves: { index: number; agents: string[] }[];
  agents: {
    name: string;
    group: string;
    wave: number;
    dependsOn: string[];
    gpu: boolean;
    critical: boolean;
    readyBySeconds: number;
  }[];
  criticalPath: { agents: string[]; seconds: number };
}

export function planJson(plan: Plan, stack: string | undefined): PlanJson {
  return {
    stack: stack ?? null,
    ordering: plan.ordering,
    waves: plan.waves.map((wave) => ({ index: wave.index, agents: wave.agents })),
    agents: plan.agents.map((agent) => ({
      name: agent.name,
      group: agent.group,
      wave: agent.wave,
      dependsOn: agent.dependsOn,
      gpu: agent.gpu,
      critical: agent.critical,
      readyBySeconds: agent.readyBySeconds,
    })),
    criticalPath: { agents: plan.criticalPath.agents, seconds: plan.criticalPath.seconds },
  };
}

export function planText(plan: Plan, stack: string | undefined): string {
  const byName = new Map(plan.agents.map((agent) => [agent.name, agent]));
  const rows = plan.waves.map((wave) => {
    const members = wave.agents.map((name) => byName.get(name)!);
    const gpu = members.filter((agent) => agent.gpu).map((agent) => agent.name);
    return [
      `${wave.index} ${wave.name}\n  ${formatDuration(wave.windowStartSeconds)}-${formatDuration(wave.windowEndSeconds)}`,
      wrapList(wave.agents, 60),
      gpu.length ? wrapList(gpu, 24) : "-",
      gateOf(plan, wave.index),
      formatDuration(wave.readyBySeconds),
    ];
  });
  const title = `${stack ? `stack ${stack}` : `host ${plan.host}`}: ${plan.agents.length} agents in ${plan.waves.length} waves, ordering "${plan.ordering}"`;
  const path = plan.criticalPath;
  return [
    title,
    "",
    renderTable(["wave", "agents", "GPU", "gate", "ready by (worst)"], rows),
    "",
    `critical path (${formatDuration(path.seconds)} worst, ${formatDuration(path.bestSeconds)} best):`,
    `  ${path.agents.join(" -> ")}`,
    ...lateAgents(plan),
  ].join("\n");
}

/** The planner's window warnings, one line per wave rather than one per agent. */
function lateAgents(plan: Plan): string[] {
  const lines = plan.waves.flatMap((wave) => {
    const late = plan.agents.filter(
      (agent) => agent.wave === wave.index && agent.readyBySeconds > wave.windowEndSeconds,
    );
    if (late.length === 0) return [];
    const window = `${formatDuration(wave.windowStartSeconds)}-${formatDuration(wave.windowEndSeconds)}`;
    const names = late.map((agent) => `${agent.name} ${formatDuration(agent.readyBySeconds)}`);
    return [
      `  ${wave.name} (${window}): ${late.length} of ${wave.agents.length} may be healthy only after the window:`,
      `    ${wrapList(names, 90).replace(/\n/g, "\n    ")}`,
    ];
  });
  return lines.length ? ["", "warnings (worst case past the seed's wave window):", ...lines] : [];
}

function gateOf(plan: Plan, waveIndex: number): string {
  if (plan.ordering === "dependencies") return "own dependencies\nhealthy";
  const previous = plan.waves
    .slice(0, waveIndex - 1)
    .filter((wave) => wave.agents.length)
    .pop();
  return previous ? `${previous.name} healthy\n+ in-wave deps` : "in-wave deps";
}

/** The DAG under the plan's ordering as a Mermaid flowchart, one subgraph per wave. */
export function planMermaid(plan: Plan): string {
  const id = (name: string) => name.replace(/[^A-Za-z0-9_]/g, "_");
  const lines = ["flowchart LR"];
  for (const wave of plan.waves) {
    lines.push(`  subgraph ${id(wave.name)}["${wave.name}"]`);
    for (const name of wave.agents) lines.push(`    ${id(name)}["${name}"]`);
    lines.push("  end");
  }
  for (const agent of plan.agents) {
    for (const dependency of agent.dependsOn)
      lines.push(`  ${id(dependency)} --> ${id(agent.name)}`);
  }
  return lines.join("\n");
}
