import type { CustomSeriesRenderItem, CustomSeriesRenderItemAPI, EChartsCoreOption } from "echarts";
import type { ReportAgent, ReportData, ReportMark } from "../model";
import {
  CRITICAL,
  escapeHtml,
  FAILED,
  failedState,
  seconds,
  STATE_LABEL,
  waveColour,
} from "./format";

/**
 * The timeline: one row per agent, grouped under a header row per wave; one bar per agent from
 * its start (a deploy: its create) to healthy; the seed's wave window as a band behind each
 * wave's rows; the planner's best and worst case as ticks per agent and as lines across; the
 * critical path outlined.
 */

export const ROW_HEIGHT = 20;

type Row = { kind: "wave"; wave: number; label: string } | { kind: "agent"; agent: ReportAgent };

export function ganttRows(data: ReportData): Row[] {
  return data.waves.flatMap((wave): Row[] => {
    const members = data.agents
      .filter((agent) => agent.wave === wave.index)
      .sort(
        (a, b) =>
          (a.start ?? Infinity) - (b.start ?? Infinity) ||
          (a.end ?? Infinity) - (b.end ?? Infinity) ||
          a.name.localeCompare(b.name),
      );
    if (members.length === 0) return [];
    const header = `wave ${wave.index}: ${wave.name}`;
    return [
      { kind: "wave", wave: wave.index, label: header },
      ...members.map((agent): Row => ({ kind: "agent", agent })),
    ];
  });
}

export function ganttOption(data: ReportData, rows: Row[]): EChartsCoreOption {
  const onPath = new Set(data.criticalPath.agents);
  const rowOf = new Map<string, number>();
  rows.forEach((row, index) => {
    if (row.kind === "agent") rowOf.set(row.agent.name, index);
  });
  const ends = data.agents.flatMap((agent) => [agent.end ?? 0, agent.worst ?? 0]);
  const windowEnds = data.waves.map((wave) => wave.windowEnd);
  const markEnds = data.marks.map((mark) => mark.seconds);
  const verifyEnd = (data.verify?.windows ?? []).map((window) => window.start + window.seconds);
  const maxX = Math.max(1, ...ends, ...windowEnds, ...markEnds, ...verifyEnd) * 1.04;

  const windows = data.waves.flatMap((wave) => {
    const members = rows
      .map((row, index) => ({ row, index }))
      .filter(({ row }) => row.kind !== "agent" || row.agent.wave === wave.index)
      .filter(({ row }) => row.kind === "agent" || row.wave === wave.index)
      .map(({ index }) => index);
    if (members.length === 0) return [];
    return [
      [wave.windowStart, wave.windowEnd, Math.min(...members), Math.max(...members), wave.index],
    ];
  });
  const bars = rows.flatMap((row, index) =>
    row.kind === "agent"
      ? [[row.agent.start ?? 0, row.agent.end ?? row.agent.start ?? 0, index, row.agent.name]]
      : [],
  );
  const ticks = rows.flatMap((row, index) =>
    row.kind === "agent" && row.agent.best !== undefined && row.agent.worst !== undefined
      ? [[row.agent.best, row.agent.worst, index, row.agent.name]]
      : [],
  );
  const byName = new Map(data.agents.map((agent) => [agent.name, agent]));

  return {
    animation: false,
    grid: { left: 230, right: 40, top: 24 + 13 * data.marks.length, bottom: 48 },
    tooltip: {
      trigger: "item",
      formatter: (params: { seriesName?: string; value?: unknown[] }) =>
        params.seriesName === "agents" || params.seriesName === "planner"
          ? agentTooltip(byName.get(String(params.value?.[3]))!)
          : params.seriesName === "wave windows"
            ? windowTooltip(data, Number(params.value?.[4]))
            : "",
    },
    xAxis: {
      type: "value",
      min: 0,
      max: maxX,
      name: data.timeAxis,
      nameLocation: "middle",
      nameGap: 28,
      position: "bottom",
      axisLabel: { formatter: (value: number) => seconds(value), showMaxLabel: false },
      splitLine: { lineStyle: { color: "#eee" } },
    },
    yAxis: {
      type: "category",
      inverse: true,
      data: rows.map((row) => (row.kind === "wave" ? row.label : row.agent.name)),
      axisTick: { show: false },
      axisLabel: {
        interval: 0,
        formatter: (label: string, index: number) => {
          const row = rows[index];
          if (row.kind === "wave") return `{wave|${label}}`;
          return onPath.has(label) ? `{critical|${label}}` : `{agent|${label}}`;
        },
        rich: {
          wave: { fontWeight: "bold", color: "#222", fontSize: 12 },
          critical: { color: CRITICAL, fontWeight: "bold", fontSize: 11 },
          agent: { color: "#333", fontSize: 11 },
        },
      },
    },
    series: [
      {
        type: "custom",
        name: "wave windows",
        renderItem: windowItem,
        data: windows,
        encode: { x: [0, 1], y: 2 },
        z: 1,
      },
      {
        type: "custom",
        name: "agents",
        renderItem: barItem((index) => rows[index], onPath),
        data: bars,
        encode: { x: [0, 1], y: 2 },
        z: 3,
        markLine: markLines(data.marks),
      },
      {
        type: "custom",
        name: "planner",
        renderItem: tickItem,
        data: ticks,
        encode: { x: [0, 1], y: 2 },
        z: 4,
      },
    ],
  };
}

const band = (api: CustomSeriesRenderItemAPI): number => (api.size!([0, 1]) as number[])[1];

const windowItem: CustomSeriesRenderItem = (_params, api) => {
  const [x0, y0] = api.coord([api.value(0), api.value(2)]);
  const [x1, y1] = api.coord([api.value(1), api.value(3)]);
  const half = band(api) / 2;
  const colour = waveColour(Number(api.value(4)));
  return {
    type: "group",
    children: [
      {
        type: "rect",
        shape: { x: x0, y: y0 - half, width: Math.max(1, x1 - x0), height: y1 - y0 + 2 * half },
        style: { fill: colour, opacity: 0.1, stroke: colour, lineWidth: 1, lineDash: [4, 3] },
      },
      {
        type: "text",
        x: x0 + 4,
        y: y0 - half + 3,
        style: { text: "seed window", fill: colour, fontSize: 10, opacity: 0.9 },
      },
    ],
  };
};

function barItem(
  rowAt: (index: number) => Row,
  onPath: ReadonlySet<string>,
): CustomSeriesRenderItem {
  return (_params, api) => {
    const row = rowAt(Number(api.value(2)));
    if (row.kind !== "agent") return null;
    const { agent } = row;
    const [x0, y] = api.coord([api.value(0), api.value(2)]);
    if (agent.start === undefined)
      return {
        type: "text",
        x: x0 + 4,
        y: y - 6,
        style: { text: STATE_LABEL[agent.state], fill: "#888", fontSize: 10, fontStyle: "italic" },
      };
    const [x1] = api.coord([api.value(1), api.value(2)]);
    const height = band(api) * 0.56;
    const critical = onPath.has(agent.name);
    const failed = failedState(agent.state);
    const planned = agent.state === "planned";
    return {
      type: "group",
      children: [
        {
          type: "rect",
          shape: { x: x0, y: y - height / 2, width: Math.max(2, x1 - x0), height, r: 2 },
          style: {
            fill: failed ? FAILED : waveColour(agent.wave),
            opacity: planned ? 0.55 : 0.9,
            stroke: critical ? CRITICAL : agent.state === "degraded" ? "#E69F00" : undefined,
            lineWidth: critical ? 2.5 : 1.5,
          },
        },
        ...(planned || agent.state === "healthy"
          ? []
          : [
              {
                type: "text" as const,
                x: x1 + 4,
                y: y - 6,
                style: {
                  text: STATE_LABEL[agent.state],
                  fill: failed ? FAILED : "#555",
                  fontSize: 10,
                },
              },
            ]),
      ],
    };
  };
}

/** The planner's best case (a triangle) and worst case (a bar end) of when the agent is healthy. */
const tickItem: CustomSeriesRenderItem = (_params, api) => {
  const [best, y] = api.coord([api.value(0), api.value(2)]);
  const [worst] = api.coord([api.value(1), api.value(2)]);
  const half = band(api) * 0.42;
  return {
    type: "group",
    children: [
      {
        type: "polygon",
        shape: {
          points: [
            [best, y + half - 5],
            [best - 4, y + half + 1],
            [best + 4, y + half + 1],
          ],
        },
        style: { fill: "#2E7D32" },
      },
      {
        type: "line",
        shape: { x1: worst, y1: y - half, x2: worst, y2: y + half },
        style: { stroke: "#8E2430", lineWidth: 2 },
      },
    ],
  };
};

const MARK_COLOUR: Record<ReportMark["kind"], string> = {
  best: "#2E7D32",
  worst: "#8E2430",
  measured: "#1F4E9C",
  verify: "#6A3D9A",
};

function markLines(marks: ReportMark[]) {
  return {
    symbol: "none",
    silent: true,
    // The y axis is inverted, so the line's start is at the top.
    label: { position: "start" as const, fontSize: 10, formatter: "{b}" },
    data: marks.map((mark, index) => ({
      name: mark.label,
      xAxis: mark.seconds,
      lineStyle: { color: MARK_COLOUR[mark.kind], type: "dashed" as const, width: 1.5 },
      // One label height apart, so marks close together stay readable.
      label: { color: MARK_COLOUR[mark.kind], distance: [0, 4 + 13 * index] },
    })),
  };
}

function agentTooltip(agent: ReportAgent): string {
  return [
    `<b>${escapeHtml(agent.name)}</b> (wave ${agent.wave}, ${escapeHtml(agent.group)}${agent.critical ? ", critical" : ""}${agent.gpu ? ", GPU" : ""})`,
    `${STATE_LABEL[agent.state]}: ${seconds(agent.start)} → ${seconds(agent.end)}`,
    agent.best === undefined
      ? ""
      : `planner: best ${seconds(agent.best)}, worst ${seconds(agent.worst)}`,
    agent.detail ? escapeHtml(agent.detail) : "",
  ]
    .filter(Boolean)
    .join("<br>");
}

function windowTooltip(data: ReportData, index: number): string {
  const wave = data.waves.find((w) => w.index === index)!;
  return `wave ${wave.index} ${escapeHtml(wave.name)}: seed window ${seconds(wave.windowStart)} – ${seconds(wave.windowEnd)}`;
}
