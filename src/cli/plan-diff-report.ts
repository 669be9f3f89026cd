import { diffPlans, type PlanSide } from "../fleet/plan-diff";
import type { Ordering } from "../fleet/planner";
import type { FleetInput } from "./fleet-input";
import { planAtRef } from "./plan-at-ref";
import { planDiffMarkdown } from "./render-plan-diff";
import { planFleet } from "../fleet/planner";

/**
 * `cascade plan --diff BASE_REF [--head REF]`: the Markdown summary (with Mermaid graph) of how
 * the plan changes from BASE_REF to REF, or to the working tree when no REF is given.
 */
export function planDiffReport(
  root: string,
  baseRef: string,
  headRef: string | undefined,
  target: { stack?: string; fleet?: string; ordering?: Ordering },
  workingTree: () => FleetInput,
): string {
  const base = planAtRef(root, baseRef, target);
  let head: PlanSide;
  if (headRef) head = planAtRef(root, headRef, target);
  else {
    const input = workingTree();
    head = { fleet: input.fleet, plan: planFleet(input.fleet, input.ordering) };
  }
  const what = target.stack ? `stack ${target.stack}` : `fleet ${target.fleet}`;
  return planDiffMarkdown(
    diffPlans(base, head),
    head.plan,
    `cascade plan: ${what}, ${baseRef} -> ${headRef ?? "working tree"}`,
  );
}
