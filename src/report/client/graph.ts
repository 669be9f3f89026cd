import dagre from "@dagrejs/dagre";
import type { CustomSeriesRenderItem, EChartsCoreOption } from "echarts";
import type { ReportData, ReportEdge } from "../model";
import { CRITICAL, escapeHtml, failedState, seconds, STATE_LABEL, waveColour } from "./format";

/**
 * The dependency graph, laid out top to bottom by dagre (layered, few crossings, edges routed
 * around nodes) and drawn by ECharts on a pixel-for-pixel cartesian grid: edges as polylines
 * through dagre's points, agents as a graph series at dagre's positions. Under the `waves`
 * ordering each wave is a row band of its own (hidden anchor nodes between waves keep them apart,
 * as the barrier does). The critical path's nodes and edges are red, a step of it across a wave
 * barrier rather than a declared dependency dashed.
 */

const PAD = 16;
const NODE_HEIGHT = 22;
const CHAR_WIDTH = 6;
/** Room left of the graph for the wave bands' labels. */
const LABEL_SPACE = 76;

export interface GraphLayout {
  width: number;
  height: number;
  option: EChartsCoreOption;
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

type Graph = InstanceType<typeof dagre.graphlib.Graph>;

const key = (edge: ReportEdge): string => `${edge.from}\u0000${edge.to}`;

export function graphLayout(data: ReportData): GraphLayout {
  const pathEdges = data.criticalPath.agents
    .slice(1)
    .map((to, i) => ({ from: data.criticalPath.agents[i], to }));
  const declared = new Set(data.edges.map(key));
  const edges = [...data.edges, ...pathEdges.filter((edge) => !declared.has(key(edge)))];

  const g: Graph = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 10, ranksep: 34, edgesep: 6, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const agent of data.agents)
    g.setNode(agent.name, { width: agent.name.length * CHAR_WIDTH + 16, height: NODE_HEIGHT });
  for (const edge of edges) g.setEdge(edge.from, edge.to);
  if (data.wavesAreBarriers) addWaveAnchors(g, data);
  dagre.layout(g);

  const box = (name: string): Box => g.node(name) as Box;
  const size = g.graph() as { width: number; height: number };
  const width = size.width + LABEL_SPACE + 2 * PAD;
  const height = size.height + 2 * PAD;
  const onPath = new Set(data.criticalPath.agents);
  const onPathEdge = new Set(pathEdges.map(key));
  const shift = LABEL_SPACE;

  const option: EChartsCoreOption = {
    animation: false,
    grid: { left: PAD, top: PAD, width: width - 2 * PAD, height: height - 2 * PAD },
    xAxis: { type: "value", min: -shift, max: size.width, show: false },
    yAxis: { type: "value", min: 0, max: size.height, inverse: true, show: false },
    tooltip: {
      formatter: (params: { data?: { tip?: string } }) => params.data?.tip ?? "",
    },
    series: [
      ...(data.wavesAreBarriers ? [waveBands(data, box, shift)] : []),
      {
        type: "lines",
        coordinateSystem: "cartesian2d",
        polyline: true,
        silent: true,
        symbol: ["none", "arrow"],
        symbolSize: 7,
        z: 2,
        data: edges.map((edge) => {
          const critical = onPathEdge.has(key(edge));
          const points = (g.edge(edge.from, edge.to) as { points: { x: number; y: number }[] })
            .points;
          return {
            coords: points.map((point) => [point.x, point.y]),
            lineStyle: {
              color: critical ? CRITICAL : "#8C939A",
              width: critical ? 2.5 : 1,
              opacity: critical ? 1 : 0.55,
              type: declared.has(key(edge)) ? ("solid" as const) : ("dashed" as const),
            },
          };
        }),
      },
      {
        type: "graph",
        coordinateSystem: "cartesian2d",
        z: 3,
        label: { show: true, fontSize: 10, color: "#222" },
        data: data.agents.map((agent) => {
          const node = box(agent.name);
          const critical = onPath.has(agent.name);
          return {
            name: agent.name,
            value: [node.x, node.y],
            symbol: "roundRect",
            symbolSize: [node.width, node.height],
            itemStyle: {
              color: failedState(agent.state) ? "#D9D9D9" : critical ? "#FDECEA" : "#FFFFFF",
              borderColor: critical ? CRITICAL : waveColour(agent.wave),
              borderWidth: critical ? 2.5 : 1.5,
            },
            label: {
              color: critical ? CRITICAL : "#222",
              fontWeight: critical ? ("bold" as const) : ("normal" as const),
            },
            tip: `<b>${escapeHtml(agent.name)}</b> wave ${agent.wave}, ${STATE_LABEL[agent.state]}, healthy ${seconds(agent.end)}<br>depends on: ${agent.dependsOn.map(escapeHtml).join(", ") || "nothing"}`,
          };
        }),
        links: [],
      },
    ],
  };
  return { width, height, option };
}

/** Hidden nodes between consecutive waves: every agent of a wave lies between two of them. */
function addWaveAnchors(g: Graph, data: ReportData): void {
  const waves = data.waves.filter((wave) => data.agents.some((agent) => agent.wave === wave.index));
  waves.forEach((wave, i) => {
    const anchor = `\u0000wave${wave.index}`;
    g.setNode(anchor, { width: 0, height: 0 });
    const next = waves[i + 1];
    for (const agent of data.agents.filter((a) => a.wave === wave.index)) {
      g.setEdge(anchor, agent.name, { weight: 0 });
      if (next) g.setEdge(agent.name, `\u0000wave${next.index}`, { weight: 0 });
    }
  });
}

/** A band across each wave's rows, labelled at its left. */
function waveBands(data: ReportData, box: (name: string) => Box, shift: number) {
  const bands = data.waves.flatMap((wave) => {
    const members = data.agents
      .filter((agent) => agent.wave === wave.index)
      .map((a) => box(a.name));
    if (members.length === 0) return [];
    const top = Math.min(...members.map((m) => m.y - m.height / 2)) - 5;
    const bottom = Math.max(...members.map((m) => m.y + m.height / 2)) + 5;
    return [[top, bottom, wave.index]];
  });
  const renderItem: CustomSeriesRenderItem = (params, api) => {
    const [x0, y0] = api.coord([-shift, api.value(0)]);
    const [, y1] = api.coord([0, api.value(1)]);
    const coordSys = params.coordSys as unknown as { x: number; width: number };
    const index = Number(api.value(2));
    const colour = waveColour(index);
    const wave = data.waves.find((w) => w.index === index)!;
    return {
      type: "group",
      children: [
        {
          type: "rect",
          shape: { x: x0, y: y0, width: coordSys.x + coordSys.width - x0, height: y1 - y0, r: 6 },
          style: { fill: colour, opacity: 0.08, stroke: colour, lineWidth: 1 },
        },
        {
          type: "text",
          x: x0 + 8,
          y: (y0 + y1) / 2 - 7,
          style: {
            text: `wave ${index}\n${wave.name}`,
            fill: colour,
            fontSize: 11,
            lineHeight: 14,
            fontWeight: "bold",
          },
        },
      ],
    };
  };
  return {
    type: "custom",
    silent: true,
    z: 0,
    renderItem,
    data: bands,
    encode: { y: [0, 1] },
  };
}
