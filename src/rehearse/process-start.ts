import { readFileSync } from "node:fs";

/**
 * When process `pid` started, as `<boot id>/<start time in clock ticks>`. A pid names a process
 * only while it runs: pids are reused, and start over at every boot, when dockerd brings back
 * the containers of a run that was under way. This names the process for good. Undefined where
 * /proc does not tell (not Linux, or no such process).
 */
export function processStart(pid: number): string | undefined {
  try {
    const boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ...": comm may hold spaces and parentheses; starttime is field 22.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const startTicks = fields[22 - 3];
    return startTicks ? `${boot}/${startTicks}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether process `pid` that started at `start` still runs. Without `start` (records of older
 * cascades) the pid is all there is; a start /proc does not show (another user's process under
 * hidepid) leaves it running.
 */
export function processRuns(pid: number, start?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists, but is another user's.
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const now = processStart(pid);
  return start === undefined || now === undefined || now === start;
}
