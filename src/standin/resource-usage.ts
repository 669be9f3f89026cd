import { readFileSync } from "node:fs";
import type { ResourceUsage } from "../health/response";

let previous = { cpu: process.cpuUsage(), at: performance.now() };

/** The `resources` block: memory, CPU since the previous call, and thread count. */
export function readResourceUsage(): ResourceUsage {
  const now = { cpu: process.cpuUsage(), at: performance.now() };
  const cpuMicros = now.cpu.user - previous.cpu.user + (now.cpu.system - previous.cpu.system);
  const elapsedMicros = (now.at - previous.at) * 1000;
  previous = now;
  return {
    memory_mb: Math.round(process.memoryUsage.rss() / 2 ** 20),
    cpu_percent: elapsedMicros > 0 ? Math.round((cpuMicros / elapsedMicros) * 1000) / 10 : 0,
    threads: threadCount(),
  };
}

function threadCount(): number | undefined {
  try {
    const match = /^Threads:\s+(\d+)$/m.exec(readFileSync("/proc/self/status", "utf8"));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}
