import { planFleet, ORDERINGS } from "../fleet/planner";
import { planReportData } from "../report/from-plan";
import { writeReport } from "../report/html";
import { oneOf, parseCommandLine } from "./args";
import { UsageError } from "./errors";
import { fleetInput, PROJECT_ROOT } from "./fleet-input";
import { planDiffReport } from "./plan-diff-report";
import { planJson, planMermaid, planText } from "./render-plan";

export const PLAN_USAGE = `usage: cascade plan (--stack NAME | --fleet FILE) [--ordering waves|dependencies]
                    [--json | --mermaid | --diff BASE_REF [--head REF]] [--report FILE]

Validates the fleet and prints its startup plan: waves, what each waits for, when each is
healthy at the latest, and the critical path. --stack reads Pulumi.NAME.yaml for the fleet file,
ordering and GPU setting; --fleet plans a file alone.
--json prints the plan as data; --mermaid as a Mermaid flowchart, the critical path marked.
--report FILE also writes the plan as one HTML page that opens offline: a timeline per agent
grouped by wave with the seed's wave windows, the critical path and the planner's best and
worst case, and the dependency graph.
--diff BASE_REF prints a Markdown summary (for a PR comment) of what changes in the plan from the
git ref BASE_REF to --head REF (default: the working tree): agents added or removed, wave moves,
health gate, GPU and model config changes, the critical path, and a Mermaid graph of the changes.`;

export async function planCommand(argv: string[]): Promise<number> {
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
      report: { type: "string" },
    },
    PLAN_USAGE,
  );
  const ordering = oneOf(values.ordering, ORDERINGS, "--ordering", PLAN_USAGE);
  const formats = (["json", "mermaid", "diff"] as const).filter((flag) => values[flag]);
  if (formats.length > 1)
    throw new UsageError(
      `give only one of ${formats.map((flag) => `--${flag}`).join(", ")}`,
      PLAN_USAGE,
    );
  if (values.head !== undefined && values.diff === undefined)
    throw new UsageError("--head REF goes with --diff BASE_REF", PLAN_USAGE);
  if (values.diff !== undefined) {
    if (values.report !== undefined)
      throw new UsageError("--report draws a plan, not a --diff", PLAN_USAGE);
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
  if (values.report !== undefined) {
    const file = await writeReport(values.report, planReportData(plan, input.fleet, input.stack));
    console.error(`report: ${file}`);
  }
  return 0;
}
