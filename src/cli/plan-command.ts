import { planFleet, ORDERINGS } from "../fleet/planner";
import { oneOf, parseCommandLine } from "./args";
import { UsageError } from "./errors";
import { fleetInput, PROJECT_ROOT } from "./fleet-input";
import { planDiffReport } from "./plan-diff-report";
import { planJson, planMermaid, planText } from "./render-plan";

export const PLAN_USAGE = `usage: cascade plan (--stack NAME | --fleet FILE) [--ordering waves|dependencies] [--json | --mermaid]

Validates the fleet and prints its startup plan: waves, what each waits for, when each is
healthy at the latest, and the critical path. --stack reads Pulumi.NAME.yaml for the fleet file,
ordering and GPU setting; --fleet plans a file alone.
--diff BASE_REF prints a Markdown summary (for a PR comment) of what changes in the plan from the
git ref BASE_REF to REF (default: the working tree): agents added or removed, wave moves, health
gate, GPU and model config changes, the critical path, and a Mermaid graph of the changes.`;

export function planCommand(argv: string[]): number {
  const { values } = parseCommandLine(
    argv,
    {
      stack: { type: "string" },
      fleet: { type: "string" },
      ordering: { type: "string" },
      json: { type: "boolean" },
      mermaid: { type: "boolean" },
      diff: { type: "string" },
      head: { type: "string" },
    },
    PLAN_USAGE,
  );
  const ordering = oneOf(values.ordering, ORDERINGS, "--ordering", PLAN_USAGE);
  if (values.diff !== undefined) {
    if (!values.stack === !values.fleet) {
      throw new UsageError("give exactly one of --stack NAME or --fleet FILE", PLAN_USAGE);
    }
    const target = { stack: values.stack, fleet: values.fleet, ordering };
    console.log(
      planDiffReport(PROJECT_ROOT, values.diff, values.head, target, () =>
        fleetInput(target, PLAN_USAGE),
      ),
    );
    return 0;
  }
  const input = fleetInput({ stack: values.stack, fleet: values.fleet, ordering }, PLAN_USAGE);
  const plan = planFleet(input.fleet, input.ordering);
  if (values.json) {
    console.log(JSON.stringify(planJson(plan, input.stack), null, 2));
  } else if (values.mermaid) {
    console.log(planMermaid(plan));
  } else {
    console.log(planText(plan, input.stack));
  }
  return 0;
}
