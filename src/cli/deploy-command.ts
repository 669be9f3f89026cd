import { planFleet } from "../fleet/planner";
import { runDeploy, type DeployOutcome } from "../rollout/deploy";
import { deployReportData, type DeployRecord } from "../report/from-deploy";
import { writeReport } from "../report/html";
import { parseCommandLine, ROLLOUT_OPTIONS, rolloutFlags } from "./args";
import { EXIT } from "./errors";
import { renderRolloutEvent } from "./render-rollout";
import { rollbackExit } from "./rollback-command";
import { currentVersion, realRolloutContext } from "./rollout-context";
import { withInterrupts } from "./signals";

export const DEPLOY_USAGE = `usage: cascade deploy --stack NAME [--yes] [--allow-dirty] [--metrics-file FILE]
                      [--poll-interval SECONDS] [--verify-window SECONDS] [--report FILE]

Previews the stack (the diff is shown), asks, runs the update, then watches every agent's health
for the fleet's verify window (rollback_policy.health_check_window, 300 s in the seed). When the
window passes, the update is recorded verified good in the stack's history (cascade history). When
a failure condition holds, the rollback stages run to the last verified-good version (see
docs/rollback.md). One deploy (with its window) or rollback per stack at a time.
The working tree must be committed: --allow-dirty deploys anyway, and that update is never a
rollback target. --verify-window overrides the fleet's window (e.g. a short one in tests);
--poll-interval (default 10) is the time between polls. --metrics-file FILE: the window's startup
metrics (rollback windows to FILE.rollback..., apart); outside the repository or git-ignored.
A stack with target kubernetes is verified from the Kubernetes API (each agent's Deployment
rolled out and Available, i.e. its pods Ready) instead of health URLs.
The project is the working directory when it holds a Pulumi.yaml, else cascade's own checkout.
--yes skips both questions; without it, the question before an automatic rollback goes ahead
after 60 s without an answer. --report FILE also writes what happened as one HTML page that
opens offline: a timeline per agent grouped by wave (its container's step in the update, next
to the planner's best and worst case and the seed's wave windows), the dependency graph, the
verify window (healthy agents per poll) and the rollback's stages.
Exit: 0 verified good; 1 refused, failed or rolled back cleanly; 3 a rollback that failed part
way (the host may be between versions); 130 interrupted (SIGINT/SIGTERM), after putting the
stack in order.`;

export async function deployCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(
    argv,
    {
      ...ROLLOUT_OPTIONS,
      "allow-dirty": { type: "boolean", default: false },
      report: { type: "string" },
    },
    DEPLOY_USAGE,
  );
  const flags = rolloutFlags(values, DEPLOY_USAGE);
  const record: DeployRecord | undefined =
    values.report === undefined ? undefined : { startMs: Date.now(), events: [], steps: [] };
  return withInterrupts(async (signal) => {
    const context = await realRolloutContext(flags, DEPLOY_USAGE, signal, record);
    const { fleet, site, settings } = await currentVersion(context);
    const policy =
      flags.verifyWindowSeconds === undefined
        ? fleet.rollbackPolicy
        : { ...fleet.rollbackPolicy, healthCheckWindowSeconds: flags.verifyWindowSeconds };
    try {
      const outcome = await runDeploy(context, {
        fleet: { ...fleet, rollbackPolicy: policy },
        site,
        yes: flags.yes,
        allowDirty: values["allow-dirty"],
      });
      return deployExit(outcome);
    } finally {
      // Also when the deploy failed part way or was interrupted: the page shows how far it got.
      if (record) {
        const plan = planFleet(fleet, settings.ordering);
        const data = deployReportData(record, fleet, plan, context.stack, renderRolloutEvent);
        console.error(`report: ${await writeReport(values.report!, data)}`);
      }
    }
  });
}

export function deployExit(outcome: DeployOutcome): number {
  switch (outcome.kind) {
    case "verified":
      return EXIT.ok;
    case "interrupted":
      return EXIT.interrupted;
    case "rolled-back":
      return outcome.rollback.kind === "rolled-back" ? EXIT.failed : rollbackExit(outcome.rollback);
    default:
      return EXIT.failed;
  }
}
