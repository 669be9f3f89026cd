import type { EChartsCoreOption } from "echarts";
import type { ReportData, ReportVerify } from "../model";
import { CRITICAL, escapeHtml, seconds } from "./format";

/**
 * A deploy's verify window: healthy (or degraded) agents per poll against the fleet's size, the
 * window shaded, and the rollback's stages as bands on the same time axis where they have times.
 */
export function verifyOption(data: ReportData, verify: ReportVerify): EChartsCoreOption {
  const stages = (data.rollback ?? []).filter((stage) => stage.start !== undefined);
  const total = Math.max(1, ...verify.polls.map((poll) => poll.total));
  return {
    animation: false,
    grid: { left: 60, right: 40, top: 30, bottom: 48 },
    tooltip: { trigger: "axis" },
    xAxis: {
      type: "value",
      name: data.timeAxis,
      nameLocation: "middle",
      nameGap: 28,
      axisLabel: { formatter: (value: number) => seconds(value) },
    },
    yAxis: { type: "value", min: 0, max: total, name: "healthy agents" },
    series: [
      {
        type: "line",
        name: "healthy or degraded",
        step: "end",
        symbolSize: 6,
        data: verify.polls.map((poll) => [poll.at, poll.healthy]),
        lineStyle: { color: "#009E73", width: 2 },
        itemStyle: { color: "#009E73" },
        markArea: {
          silent: true,
          data: [
            ...verify.windows.map((window) => [
              {
                name: `${window.label}: ${seconds(window.seconds)} window`,
                xAxis: window.start,
                itemStyle: { color: "rgba(106, 61, 154, 0.08)" },
              },
              { xAxis: window.start + window.seconds },
            ]),
            ...stages.map((stage) => [
              {
                name: `[${stage.index}/4] ${stage.name}`,
                xAxis: stage.start,
                itemStyle: { color: "rgba(192, 57, 43, 0.12)" },
                label: { color: CRITICAL, fontSize: 10 },
              },
              { xAxis: stage.end ?? stage.start },
            ]),
          ],
        },
      },
      {
        type: "line",
        name: "fleet",
        data: verify.polls.map((poll) => [poll.at, poll.total]),
        symbol: "none",
        lineStyle: { color: "#999", type: "dashed" },
      },
    ],
  };
}

/** The rollback's stages as a list: status, what was done or why it was skipped. */
export function rollbackList(data: ReportData): string {
  const stages = data.rollback ?? [];
  if (stages.length === 0) return "";
  const items = stages.map(
    (stage) =>
      `<li class="stage ${stage.status}"><span class="badge">${stage.status}</span> <b>[${stage.index}/4] ${escapeHtml(stage.name)}</b>${stage.start === undefined ? "" : ` <span class="when">${seconds(stage.start)}${stage.end === undefined ? "" : ` → ${seconds(stage.end)}`}</span>`}<br><span class="detail">${escapeHtml(stage.detail)}</span></li>`,
  );
  return `<ol class="stages">${items.join("")}</ol>`;
}
