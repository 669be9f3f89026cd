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
