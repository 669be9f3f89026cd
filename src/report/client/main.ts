import { CustomChart, GraphChart, LineChart, LinesChart } from "echarts/charts";
import {
  GraphicComponent,
  GridComponent,
  MarkAreaComponent,
  MarkLineComponent,
  TooltipComponent,
} from "echarts/components";
import * as echarts from "echarts/core";
import { SVGRenderer } from "echarts/renderers";
import type { ReportData } from "../model";
import { escapeHtml, seconds, STATE_LABEL, waveColour } from "./format";
import { ganttOption, ganttRows, ROW_HEIGHT } from "./gantt";
import { graphLayout } from "./graph";
import { rollbackList, verifyOption } from "./verify";
import "./report.css";

/**
 * The report page's script: reads the data embedded in the page (#report-data) and draws the
 * timeline, the dependency graph and, for a deploy, the verify window and the rollback. SVG, so
 * the page prints and zooms sharply and every agent's name is text.
 */

echarts.use([
  CustomChart,
  GraphChart,
  LineChart,
  LinesChart,
  GraphicComponent,
  GridComponent,
  MarkAreaComponent,
  MarkLineComponent,
  TooltipComponent,
  SVGRenderer,
]);

function main(): void {
  const data = JSON.parse(document.getElementById("report-data")!.textContent) as ReportData;
  const root = document.getElementById("report")!;
  root.innerHTML = skeleton(data);

  const rows = ganttRows(data);
  chart("timeline", ganttOption(data, rows), undefined, rows.length * ROW_HEIGHT + 110);
  const graph = graphLayout(data);
  chart("graph", graph.option, graph.width, graph.height);
  if (data.verify) chart("verify", verifyOption(data, data.verify), undefined, 320);
  document.body.dataset.rendered = "true";
}

function chart(id: string, option: echarts.EChartsCoreOption, width?: number, height = 300): void {
  const element = document.getElementById(id)!;
  element.style.height = `${height}px`;
  if (width !== undefined) element.style.width = `${width}px`;
  echarts.init(element, undefined, { renderer: "svg" }).setOption(option);
}

function skeleton(data: ReportData): string {
  const figures = data.figures
    .map(
      ([label, value]) =>
        `<div class="figure"><span>${escapeHtml(label)}</span><b>${escapeHtml(value)}</b></div>`,
    )
    .join("");
  const legend = data.waves
    .map(
      (wave) =>
        `<span class="swatch" style="--c:${waveColour(wave.index)}"></span>wave ${wave.index} ${escapeHtml(wave.name)}`,
    )
    .join(" ");
  const notes = data.notes.map((note) => `<li>${escapeHtml(note)}</li>`).join("");
  return `
<header>
  <h1>${escapeHtml(data.title)}</h1>
  <p class="subtitle">${escapeHtml(data.subtitle)}</p>
  <div class="figures">${figures}</div>
</header>
<section>
  <h2>Timeline</h2>
  <p class="legend">${legend}<br>
    <span class="key bar"></span> started → healthy (a deploy: created → healthy; a plan: may start → healthy at worst)
    <span class="key window"></span> the seed's wave window
    <span class="key best">▲</span> planner best case <span class="key worst">|</span> planner worst case
    <span class="key critical"></span> ${escapeHtml(data.criticalPath.label)}: ${data.criticalPath.agents.map(escapeHtml).join(" → ")}
  </p>
  <div id="timeline" class="chart"></div>
</section>
${data.verify ? `<section><h2>Verify window</h2><p class="legend">${escapeHtml(data.verify.outcome)}</p><div id="verify" class="chart"></div></section>` : ""}
${data.rollback?.length ? `<section><h2>Rollback</h2>${rollbackList(data)}</section>` : ""}
<section>
  <h2>Dependency graph</h2>
  <p class="legend">${data.wavesAreBarriers ? "One column per wave: a wave starts when the whole wave before it is healthy. " : "An agent starts when its own dependencies are healthy. "}Arrows point from a dependency to the agent that waits for it; red is the critical path${data.wavesAreBarriers ? ", dashed where it crosses a wave barrier rather than a declared dependency" : ""}.</p>
  <div class="scroll"><div id="graph" class="chart"></div></div>
</section>
<section>
  <h2>Agents</h2>
  ${agentTable(data)}
</section>
${notes ? `<section><h2>Notes</h2><ul class="notes">${notes}</ul></section>` : ""}`;
}

function agentTable(data: ReportData): string {
  const onPath = new Set(data.criticalPath.agents);
  const rows = [...data.agents]
    .sort((a, b) => a.wave - b.wave || (a.start ?? Infinity) - (b.start ?? Infinity))
    .map(
      (agent) =>
        `<tr class="${onPath.has(agent.name) ? "critical" : ""}"><td>${escapeHtml(agent.name)}</td><td>${agent.wave}</td><td>${escapeHtml(agent.group)}</td><td>${STATE_LABEL[agent.state]}</td><td>${seconds(agent.start)}</td><td>${seconds(agent.end)}</td><td>${seconds(agent.best)}</td><td>${seconds(agent.worst)}</td><td>${escapeHtml(agent.detail ?? "")}</td></tr>`,
    );
  return `<table id="agents"><thead><tr><th>agent</th><th>wave</th><th>group</th><th>state</th><th>start</th><th>healthy</th><th>best</th><th>worst</th><th>detail</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

main();
