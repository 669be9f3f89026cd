import { formatDuration } from "../fleet/duration";
import { changedAgents, isEmptyDiff, type AgentChange, type PlanDiff } from "../fleet/plan-diff";
import type { Plan } from "../fleet/planner";

/** Markdown for a PR comment: the summary tables, then the Mermaid graph of the head plan. */
export function planDiffMarkdown(diff: PlanDiff, head: Plan, title: string): string {
  const lines = [`### ${title}`, ""];
  if (isEmptyDiff(diff)) {
    lines.push("No change to the startup plan.");
    return lines.join("\n");
  }
  const section = (heading: string, rows: string[]) => {
    if (rows.length) lines.push(`**${heading}**`, "", ...rows, "");
  };
  if (diff.orderingChange) {
    section("Ordering", [`- \`${diff.orderingChange.from}\` -> \`${diff.orderingChange.to}\``]);
  }
  section(
    "Agents added",
    diff.added.map((name) => `- \`${name}\``),
  );
  section(
    "Agents removed",
    diff.removed.map((name) => `- \`${name}\``),
  );
  section(
    "Wave moves",
    diff.waveMoves.map((m) => `- \`${m.agent}\`: ${m.from} -> ${m.to}`),
  );
  section("Health gate changes", [
    ...changeRows(diff.gateChanges),
    ...changeRows(diff.healthChanges),
  ]);
  section("GPU changes", changeRows(diff.gpuChanges));
  section("Model config changes", changeRows(diff.modelChanges));
  const { before, after, changed } = diff.criticalPath;
  section("Critical path", [
    changed
      ? `- before: ${before.agents.join(" -> ")} (${formatDuration(before.seconds)} worst)`
      : `- unchanged: ${after.agents.join(" -> ")} (${formatDuration(after.seconds)} worst)`,
    ...(changed
      ? [`- after: ${after.agents.join(" -> ")} (${formatDuration(after.seconds)} worst)`]
      : []),
  ]);
  lines.push("```mermaid", planDiffMermaid(diff, head), "```");
  return lines.join("\n");
}

function changeRows(changes: AgentChange[]): string[] {
  return changes.map((change) => `- \`${change.agent}\`: ${change.changes.join("; ")}`);
}

/** The head plan's DAG, one subgraph per wave; added, changed and removed agents highlighted. */
export function planDiffMermaid(diff: PlanDiff, head: Plan): string {
  const id = (name: string) => name.replace(/[^A-Za-z0-9_]/g, "_");
  const added = new Set(diff.added);
  const changed = changedAgents(diff);
  const onPath = new Set(diff.criticalPath.after.agents);
  const lines = ["flowchart LR"];
  for (const wave of head.waves) {
    lines.push(`  subgraph ${id(wave.name)}["${wave.name}"]`);
    for (const name of wave.agents) lines.push(`    ${id(name)}["${name}"]`);
    lines.push("  end");
  }
  if (diff.removed.length) {
    lines.push(`  subgraph removed_agents["removed"]`);
    for (const name of diff.removed) lines.push(`    ${id(name)}["${name}"]`);
    lines.push("  end");
  }
  let edge = 0;
  const pathEdges: number[] = [];
  for (const agent of head.agents) {
    for (const dependency of agent.dependsOn) {
      lines.push(`  ${id(dependency)} --> ${id(agent.name)}`);
      if (onPath.has(dependency) && onPath.has(agent.name) && diff.criticalPath.changed)
        pathEdges.push(edge);
      edge++;
    }
  }
  lines.push(
    "  classDef added fill:#d4f8d4,stroke:#2da44e,stroke-width:2px",
    "  classDef changed fill:#fff1c2,stroke:#bf8700,stroke-width:2px",
    "  classDef removed fill:#ffd7d5,stroke:#cf222e,stroke-dasharray:4 2",
  );
  const classed = (names: string[], cls: string) => {
    if (names.length) lines.push(`  class ${names.map(id).join(",")} ${cls}`);
  };
  classed([...added], "added");
  classed(
    [...changed].filter((name) => !added.has(name)),
    "changed",
  );
  classed(diff.removed, "removed");
  if (pathEdges.length)
    lines.push(`  linkStyle ${pathEdges.join(",")} stroke:#cf222e,stroke-width:3px`);
  return lines.join("\n");
}
