import type { ReportAgentState } from "../model";

/** 0.4 -> "0.40s", 12.345 -> "12.3s", 95 -> "1m35s". */
export function seconds(value: number | undefined): string {
  if (value === undefined) return "-";
  if (value < 10) return `${value.toFixed(2)}s`;
  if (value < 60) return `${value.toFixed(1)}s`;
  const minutes = Math.floor(value / 60);
  return `${minutes}m${String(Math.round(value - minutes * 60)).padStart(2, "0")}s`;
}

/** One colour per wave (Okabe-Ito, distinguishable with colour blindness), in the Gantt and the graph. */
const WAVE_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"];
export const waveColour = (wave: number): string => WAVE_COLOURS[(wave - 1) % WAVE_COLOURS.length];

export const CRITICAL = "#C0392B";
export const FAILED = "#4A4A4A";

export const STATE_LABEL: Record<ReportAgentState, string> = {
  planned: "planned",
  healthy: "healthy",
  degraded: "degraded",
  unhealthy: "unhealthy",
  timeout: "timed out",
  exited: "exited",
  "not-started": "not started",
  running: "running",
  unchanged: "unchanged",
  failed: "update failed",
};

export const failedState = (state: ReportAgentState): boolean =>
  state === "unhealthy" || state === "timeout" || state === "exited" || state === "failed";

/** Text for HTML, with the five special characters escaped. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}
