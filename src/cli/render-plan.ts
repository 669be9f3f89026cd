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
    /** Healthy at the latest Docker allows, and when a user should expect it (`agentTiming`). */
    readyBySeconds: number;
    expectedReadySeconds: number;
  }[];
  /** The worst case's chain, and the expected one's. */
  criticalPath: {
    agents: string[];
    seconds: number;
    expected: { agents: string[]; seconds: number };
  };
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
      expectedReadySeconds: agent.expectedReadySeconds,
    })),
    criticalPath: {
      agents: plan.criticalPath.agents,
      seconds: plan.criticalPath.seconds,
      expected: plan.criticalPath.expected,
    },
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
      formatDuration(wave.expectedReadySeconds),
      formatDuration(wave.readyBySeconds),
    ];
  });
  const title = `${stack ? `stack ${stack}` : `host ${plan.host}`}: ${plan.agents.length} agents in ${plan.waves.length} waves, ordering "${plan.ordering}"`;
  const path = plan.criticalPath;
  return [
    title,
    "",
    renderTable(["wave", "agents", "GPU", "gate", "expected", "worst"], rows),
    "",
    `expected all healthy at ${formatDuration(path.expected.seconds)}: ${path.expected.agents.join(" -> ")}`,
    `critical path at worst (${formatDuration(path.seconds)} worst, ${formatDuration(path.bestSeconds)} best):`,
    `  ${path.agents.join(" -> ")}`,
    ...lateAgents(plan),
    ...worstCaseNote(plan),
  ].join("\n");
}

/** The planner's window warnings (expected time past the window), one line per wave. */
function lateAgents(plan: Plan): string[] {
  const lines = plan.waves.flatMap((wave) => {
    const late = plan.agents.filter(
      (agent) => agent.wave === wave.index && agent.expectedReadySeconds > wave.windowEndSeconds,
    );
    if (late.length === 0) return [];
    const names = late.map(
      (agent) => `${agent.name} ${formatDuration(agent.expectedReadySeconds)}`,
    );
    return [
      `  ${wave.name} (${windowOf(wave)}): ${late.length} of ${wave.agents.length} expected healthy only after the window:`,
      `    ${wrapList(names, 90).replace(/\n/g, "\n    ")}`,
    ];
  });
  return lines.length ? ["", "warnings (expected past the seed's wave window):", ...lines] : [];
}

/** Not a warning: how many agents Docker would still wait for after their window. */
function worstCaseNote(plan: Plan): string[] {
  const late = plan.agents.filter(
    (agent) => agent.readyBySeconds > plan.waves[agent.wave - 1].windowEndSeconds,
  );
  if (late.length === 0) return [];
  return [
    "",
    `worst case: ${late.length} of ${plan.agents.length} agents could still turn healthy after their window` +
      " (Docker waits start period + retries x (interval + timeout); --json has each agent's).",
  ];
}

function windowOf(wave: Plan["waves"][number]): string {
  return `${formatDuration(wave.windowStartSeconds)}-${formatDuration(wave.windowEndSeconds)}`;
}

function gateOf(plan: Plan, waveIndex: number): string {
  if (plan.ordering === "dependencies") return "own dependencies\nhealthy";
  const previous = plan.waves
    .slice(0, waveIndex - 1)
    .filter((wave) => wave.agents.length)
    .pop();
  return previous ? `${previous.name} healthy\n+ in-wave deps` : "in-wave deps";
}

/**
 * The DAG under the plan's ordering as a Mermaid flowchart, one subgraph per wave; the critical
 * path's agents are of class `critical` (red) and its steps thick arrows (`==>`).
 */
export function planMermaid(plan: Plan): string {
  const id = (name: string) => name.replace(/[^A-Za-z0-9_]/g, "_");
  const path = plan.criticalPath.agents;
  const onPath = new Set(path);
  const steps = new Set(path.slice(1).map((to, i) => `${path[i]}\u0000${to}`));
  const lines = [
    "flowchart LR",
    "  classDef critical stroke:#c0392b,stroke-width:3px,color:#c0392b",
  ];
  for (const wave of plan.waves) {
    lines.push(`  subgraph ${id(wave.name)}["${wave.name}"]`);
    for (const name of wave.agents)
      lines.push(`    ${id(name)}["${name}"]${onPath.has(name) ? ":::critical" : ""}`);
    lines.push("  end");
  }
  for (const agent of plan.agents) {
    for (const dependency of agent.dependsOn) {
      const arrow = steps.has(`${dependency}\u0000${agent.name}`) ? "==>" : "-->";
      lines.push(`  ${id(dependency)} ${arrow} ${id(agent.name)}`);
    }
  }
  return lines.join("\n");
}
