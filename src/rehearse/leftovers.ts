import type Docker from "dockerode";
import { hostname } from "node:os";
import { processRuns } from "./process-start";
import {
  REHEARSAL_LABEL,
  REHEARSAL_OWNER_LABEL,
  REHEARSAL_OWNER_START_LABEL,
  rehearsalOwner,
} from "./scale";
import { removeCommands, teardown } from "./teardown";

/**
 * Containers and volumes an earlier rehearsal left behind (killed, or `--keep`), found by the
 * label every rehearsal puts on what it creates. Only a run that provably ended is removed: its
 * owning process (label `cascade.rehearsal.owner`, `<host>:<pid>`) is gone from this host (no
 * process has that pid, or one that started at another time than `cascade.rehearsal.owner-start`
 * says: after a reboot, dockerd restarts the containers and the pid is someone else's), or it is
 * this process's own and no longer under way. Everything else on the shared engine is named
 * and left alone: another rehearsal running now (its process lives, or is on another host), and
 * a run without the owner label (a cascade before it), which could be anyone's.
 */

export interface RunFound {
  runId: string;
  owner?: string;
  /** When the owner's process started (`processStart`); absent from runs of older cascades. */
  ownerStart?: string;
  containers: string[];
}

export interface Leftovers {
  /** Runs removed, and why each was taken for ended. */
  removed: (RunFound & { why: string })[];
  /** Runs of other rehearsals that are running now. */
  running: RunFound[];
  /** Runs without an owner label, and the command that removes one. */
  unowned: (RunFound & { removeWith: string })[];
}

/** The runs this process has under way; its other runs on the engine are its own leftovers. */
const underWay = new Set<string>();

/** Marks `runId` as under way in this process until the returned function is called. */
export function runUnderWay(runId: string): () => void {
  underWay.add(runId);
  return () => underWay.delete(runId);
}

export async function removeLeftovers(docker: Docker): Promise<Leftovers> {
  const result: Leftovers = { removed: [], running: [], unowned: [] };
  for (const run of (await runsOnEngine(docker)).values()) {
    if (run.owner === undefined) {
      result.unowned.push({ ...run, removeWith: removeCommands(run.runId) });
    } else if (run.owner === rehearsalOwner()) {
      if (underWay.has(run.runId)) result.running.push(run);
      else result.removed.push(await removeRun(docker, run, "an earlier run of this process"));
    } else if (ownerAlive(run.owner, run.ownerStart)) {
      result.running.push(run);
    } else {
      result.removed.push(await removeRun(docker, run, `its process ${run.owner} is gone`));
    }
  }
  return result;
}

async function removeRun(
  docker: Docker,
  run: RunFound,
  why: string,
): Promise<RunFound & { why: string }> {
  await teardown(docker, run.runId);
  return { ...run, why };
}

/** Every rehearsal run that has containers or volumes on the engine, by run id. */
async function runsOnEngine(docker: Docker): Promise<Map<string, RunFound>> {
  const runs = new Map<string, RunFound>();
  const runOf = (labels: Record<string, string> | null | undefined): RunFound | undefined => {
    const runId = labels?.[REHEARSAL_LABEL];
    if (!runId) return undefined;
    let run = runs.get(runId);
    if (!run) {
      run = {
        runId,
        owner: labels[REHEARSAL_OWNER_LABEL],
        ownerStart: labels[REHEARSAL_OWNER_START_LABEL],
        containers: [],
      };
      runs.set(runId, run);
    }
    return run;
  };
  const filters = { label: [REHEARSAL_LABEL] };
  for (const container of await docker.listContainers({ all: true, filters }))
    runOf(container.Labels)?.containers.push(
      container.Names[0]?.replace(/^\//, "") ?? container.Id.slice(0, 12),
    );
  const { Volumes: volumes } = await docker.listVolumes({ filters });
  for (const volume of volumes ?? []) runOf(volume.Labels);
  return runs;
}

/**
 * Whether the process `<host>:<pid>` that started at `start` runs; one on another host is
 * assumed to.
 */
export function ownerAlive(owner: string, start?: string): boolean {
  const at = owner.lastIndexOf(":");
  const pid = Number(owner.slice(at + 1));
  if (owner.slice(0, at) !== hostname() || !Number.isInteger(pid) || pid <= 0) return true;
  return processRuns(pid, start);
}
