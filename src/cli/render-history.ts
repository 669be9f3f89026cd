import type { Ledger, UpdateStatus } from "../rollout/history";
import type { WindowMeasurements } from "../rollout/policy";
import { renderTable } from "./table";

/** `cascade history`: the stack's updates as verified / failed / rolled back, and why. */
export function renderHistory(stack: string, ledger: Ledger): string {
  const lease = ledger.lease
    ? `held by ${ledger.lease.command} run ${ledger.lease.run} (${ledger.lease.owner.user}@${ledger.lease.owner.host}, pid ${ledger.lease.owner.pid}) until ${new Date(ledger.lease.untilMs).toISOString()} at the latest`
    : "not held by any cascade run";
  const head = [
    `Stack ${stack}: ${ledger.updates.length} update(s); ${lease}.`,
    `Verified good (rollback targets, newest first): ${ledger.verifiedGood.join(", ") || "none"}.`,
  ];
  if (ledger.updates.length === 0) return head.join("\n");
  const rows = ledger.updates.map((update) => [
    String(update.version),
    update.startTime?.replace(/\.\d+Z$/, "Z").replace("T", " ") ?? "",
    update.status,
    why(update),
  ]);
  return `${head.join("\n")}\n\n${renderTable(["VERSION", "STARTED", "STATUS", "WHY"], rows)}`;
}

function why(update: UpdateStatus): string {
  const lines = [update.reason];
  const git = update.commit
    ? `git ${update.commit.slice(0, 12)}${update.dirty ? " (dirty tree)" : ""}`
    : "no git commit";
  lines.push(`${update.message.split("\n")[0]}; ${git}`);
  if (update.measurements) lines.push(measured(update.polls, update.measurements));
  if (update.rollback) {
    const stages = update.rollback.stages.map((s) => `${s.stage} ${s.status}`).join(", ");
    lines.push(
      `rollback to version ${update.rollback.target ?? "?"}: ${update.rollback.result}${stages ? ` (${stages})` : ""}`,
    );
  }
  return lines.join("\n");
}

/** One line of what a verify window measured. */
export function measured(polls: number | undefined, m: WindowMeasurements): string {
  const failing = m.agents.length
    ? m.agents.map((a) => `${a.agent} ${a.failed}/${a.polls} (run ${a.longestRun})`).join(", ")
    : "no agent failed";
  const rate =
    m.errorRate.source === "none"
      ? "error rate: no data"
      : `error rate (${m.errorRate.source}) mean ${pct(m.errorRate.mean)}, max ${pct(m.errorRate.max)} over ${m.errorRate.samples} samples`;
  return `${polls ?? "?"} polls; ${failing}; ${rate}`;
}

function pct(ratio: number): string {
  return `${Math.round(ratio * 1000) / 10}%`;
}
