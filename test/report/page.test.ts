import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { Browser, Page } from "playwright-core";
import { fleetInput } from "../../src/cli/fleet-input";
import { planFleet } from "../../src/fleet/planner";
import { loadFleet } from "../../src/fleet/loader";
import type { AgentTimeline } from "../../src/rehearse/bringup";
import type { RehearsalReport } from "../../src/rehearse/report";
import { renderRolloutEvent } from "../../src/cli/render-rollout";
import { deployReportData } from "../../src/report/from-deploy";
import { planReportData } from "../../src/report/from-plan";
import { rehearsalReportData } from "../../src/report/from-rehearsal";
import { writeReport } from "../../src/report/html";
import type { ReportData } from "../../src/report/model";
import { CHROMIUM, chromiumInstalled, launchChromium, openReport } from "../support/chromium";
import * as deploy from "../support/deploy-record";

/**
 * The report page in a real headless browser (Debian's chromium): it draws without a console
 * error or a request for anything outside the file, every agent is on the timeline, in the
 * graph and in the table, and no two agents' labels overlap. Screenshots are kept in
 * $CASCADE_REPORT_SHOTS when it is set (look at them).
 */

const CRITICAL = "#C0392B";

interface Box {
  text: string;
  fill: string | null;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The SVG text elements under `selector`, with where they are drawn (run in the page). */
function labels(page: Page, selector: string): Promise<Box[]> {
  return page.evaluate(`[...document.querySelectorAll(${JSON.stringify(`${selector} svg text`)})].map((element) => {
    const rect = element.getBoundingClientRect();
    return { text: element.textContent ?? "", fill: element.getAttribute("fill"),
      x: rect.x, y: rect.y, width: rect.width, height: rect.height };
  })`);
}

/** The text of each cell of the agents table, row by row. */
function tableCells(page: Page): Promise<string[][]> {
  return page.evaluate(
    `[...document.querySelectorAll("#agents tbody tr")].map((row) => [...row.querySelectorAll("td")].map((cell) => cell.textContent))`,
  );
}

function overlapping(a: Box, b: Box): boolean {
  const slack = 0.5;
  return (
    a.x + slack < b.x + b.width &&
    b.x + slack < a.x + a.width &&
    a.y + slack < b.y + b.height &&
    b.y + slack < a.y + a.height
  );
}

function assertSeparate(boxes: Box[], where: string): void {
  boxes.forEach((a, i) =>
    boxes.slice(i + 1).forEach((b) => {
      assert.ok(!overlapping(a, b), `${where}: "${a.text}" overlaps "${b.text}"`);
    }),
  );
}

describe("report page in headless chromium", function () {
  this.timeout(120_000);
  let browser: Browser;
  let dir: string;

  before(async function () {
    assert.ok(
      chromiumInstalled(),
      `${CHROMIUM} is missing: install it with scripts/install-system-packages.sh (Debian's chromium)`,
    );
    browser = await launchChromium();
    dir = mkdtempSync(path.join(tmpdir(), "cascade-report-"));
  });
  after(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function show(data: ReportData, name: string) {
    const file = await writeReport(path.join(dir, `${name}.html`), data);
    const loaded = await openReport(browser, file, 1700);
    assert.deepEqual(loaded.errors, [], "console errors");
    assert.deepEqual(loaded.requests, [], "requests outside the file");
    assert.equal(
      await loaded.page.evaluate("document.body.dataset.rendered"),
      "true",
      "the page's script finished drawing",
    );
    const shots = process.env.CASCADE_REPORT_SHOTS;
    if (shots)
      await loaded.page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
    return loaded.page;
  }

  for (const [stack, ordering] of [
    ["mainpc", "waves"],
    ["mainpc", "dependencies"],
    ["pc2", "waves"],
  ] as const) {
    it(`the plan of ${stack} (${ordering}): every agent drawn, none overlapping, the critical path red`, async () => {
      const input = fleetInput({ stack, ordering }, "");
      const plan = planFleet(input.fleet, ordering);
      const page = await show(
        planReportData(plan, input.fleet, stack),
        `plan-${stack}-${ordering}`,
      );
      const names = plan.agents.map((agent) => agent.name);
      const onPath = new Set(plan.criticalPath.agents);

      const timeline = (await labels(page, "#timeline")).filter((l) => names.includes(l.text));
      assert.deepEqual(timeline.map((l) => l.text).sort(), [...names].sort());
      assertSeparate(timeline, "timeline");
      for (const label of timeline)
        assert.equal(label.fill === CRITICAL, onPath.has(label.text), `${label.text} colour`);

      const graph = (await labels(page, "#graph")).filter((l) => names.includes(l.text));
      assert.deepEqual(graph.map((l) => l.text).sort(), [...names].sort());
      assertSeparate(graph, "graph");

      const table = (await tableCells(page)).map((row) => row[0]);
      assert.deepEqual(table.sort(), [...names].sort());
    });
  }

  it("a failed rehearsal: failures and agents never started shown, hostile text stays text", async () => {
    const fleet = loadFleet("test/rehearse/fixtures/fleet.yaml");
    const plan = planFleet(fleet, "dependencies");
    const hostile = `</script><script>window.pwned = 1</script><img src="http://127.0.0.1:9/x" onerror="window.pwned = 2">`;
    const timeline = (
      agent: string,
      wave: number,
      rest: Partial<AgentTimeline>,
    ): AgentTimeline => ({
      agent,
      group: "core",
      wave,
      critical: true,
      dependsOn: [],
      state: "not-started",
      restarts: 0,
      maxFailingStreak: 0,
      failedProbes: 0,
      waitTimeoutMs: 24_000,
      startPeriodMs: 1000,
      probeExecMs: [],
      ...rest,
    });
    const agents = [
      timeline("Registry", 1, { state: "healthy", startedMs: 300, healthyMs: 1800 }),
      timeline("Core", 1, { state: "timeout", startedMs: 1900, failedMs: 26_000, error: hostile }),
      ...["Loader", "Worker", "Helper", "Reporter"].map((name, i) =>
        timeline(name, i < 3 ? 2 : 3, {}),
      ),
    ];
    const report: RehearsalReport = {
      runId: "abc123",
      stack: "rehearsal",
      ordering: "dependencies",
      scale: 0.25,
      minIntervalMs: 1000,
      pollMs: 250,
      scenario: "never-healthy",
      target: "Core",
      outcome: "failed",
      agents,
      waves: [],
      criticalPath: {
        measured: { agents: [] },
        boundMs: 4000,
        boundAgents: ["Registry", "Core", "Helper", "Reporter"],
        planned: {
          agents: ["Registry", "Core", "Helper", "Reporter"],
          worstMs: 40_000,
          bestMs: 4000,
        },
      },
      agentBounds: { Registry: { bestMs: 1000, worstMs: 9000 } },
      skipped: [],
    };
    const page = await show(rehearsalReportData(report, fleet, plan), "rehearsal-failed");
    assert.equal(await page.evaluate("window.pwned"), undefined);
    const core = (await tableCells(page)).find((row) => row[0] === "Core")!;
    assert.equal(core[3], "timed out");
    assert.equal(core[8], hostile);
    const timelineText = (await labels(page, "#timeline")).map((l) => l.text);
    assert.equal(timelineText.filter((text) => text === "not started").length, 4);
    assert.ok(timelineText.includes("timed out"));
  });

  it("a deploy rolled back: every agent, the verify window's polls and the rollback's stages", async () => {
    const data = deployReportData(
      deploy.record,
      deploy.fleet,
      deploy.plan,
      "rehearsal",
      renderRolloutEvent,
    );
    const page = await show(data, "deploy-rolled-back");
    const rows = await tableCells(page);
    assert.deepEqual(
      rows.map((row) => row[0]).sort(),
      deploy.fleet.agents.map((a) => a.name).sort(),
    );
    const state = (name: string) => rows.find((row) => row[0] === name)![3];
    assert.deepEqual(["Registry", "Core", "Helper", "Loader"].map(state), [
      "healthy",
      "update failed",
      "unchanged",
      "not started",
    ]);
    const verify = (await labels(page, "#verify")).map((l) => l.text);
    assert.ok(verify.includes("update 4: 30.0s window"), verify.join("|"));
    assert.ok(verify.includes("[1/4] pause_new_deployment"), verify.join("|"));
    const stages = await page.evaluate<string[]>(
      `[...document.querySelectorAll("ol.stages li")].map((item) => item.className)`,
    );
    assert.deepEqual(stages, ["stage done", "stage done", "stage skipped"]);
  });
});
