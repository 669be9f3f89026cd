import { planFleet, ORDERINGS } from "../fleet/planner";
import { oneOf, parseCommandLine } from "./args";
import { fleetInput } from "./fleet-input";
import { planJson, planMermaid, planText } from "./render-plan";

export const PLAN_USAGE = `usage: cascade plan (--stack NAME | --fleet FILE) [--ordering waves|dependencies] [--json | --mermaid]

Validates the fleet and prints its startup plan: waves, what each waits for, when each is
healthy at the latest, and the critical path. --stack reads Pulumi.NAME.yaml for the fleet file,
ordering and GPU setting; --fleet plans a file alone.`;

export function planCommand(argv: string[]): number {
  const { values } = parseCommandLine(
    argv,
    {
      stack: { type: "string" },
      fleet: { type: "string" },
      ordering: { type: "string" },
      json: { type: "boolean" },
      mermaid: { type: "boolean" },
    },
    PLAN_USAGE,
  );
  const ordering = oneOf(values.ordering, ORDERINGS, "--ordering", PLAN_USAGE);
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
