import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { FleetError, loadFleet } from "../fleet/loader";
import { quote } from "../fleet/problems";
import type { PlanSide } from "../fleet/plan-diff";
import { planFleet, type Ordering } from "../fleet/planner";
import { gitRepo } from "../rollout/git";
import { fleetStackContext } from "../stack/settings";
import { readStackFile } from "../stack/stack-file";

/**
 * The fleet and plan of a stack (or a fleet file) as committed at `ref`: the files are read with
 * `git show REF:path` into a scratch directory and loaded as usual; problems name `REF:path`.
 */
export function planAtRef(
  root: string,
  ref: string,
  target: { stack?: string; fleet?: string; ordering?: Ordering },
): PlanSide {
  const git = gitRepo(root);
  const scratch = mkdtempSync(path.join(os.tmpdir(), "cascade-plan-diff-"));
  const fetch = (file: string, missing = `${ref}:${file}: no such file at ${ref}`): string => {
    const text = git.show(ref, `./${file}`);
    if (text === undefined) throw new FleetError([missing]);
    const out = path.join(scratch, file);
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, text);
    return out;
  };
  try {
    let fleetFile: string;
    let missing: string | undefined;
    let context: { stack?: string; gpuAvailable?: boolean } = {};
    let ordering = target.ordering;
    if (target.stack) {
      fetch(`Pulumi.${target.stack}.yaml`);
      const stack = readStackFile(scratch, target.stack);
      fleetFile = stack.settings.fleet;
      missing = stack.fleetProblem(`${quote(fleetFile)}: no such file at ${quote(ref)}`);
      context = fleetStackContext(target.stack, stack.settings);
      ordering ??= stack.settings.ordering;
    } else {
      fleetFile = path.relative(root, path.resolve(target.fleet!));
    }
    const fleet = loadFleet(fetch(fleetFile, missing), context);
    return { fleet, plan: planFleet(fleet, ordering ?? "waves") };
  } catch (error) {
    if (error instanceof FleetError) {
      throw new FleetError(error.errors.map((line) => relabel(line, scratch, ref)));
    }
    throw error;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function relabel(line: string, scratch: string, ref: string): string {
  const relative = path.relative(process.cwd(), scratch);
  return line
    .split(`${scratch}${path.sep}`)
    .join(`${ref}:`)
    .split(`${relative}${path.sep}`)
    .join(`${ref}:`);
}
