import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse, stringify } from "yaml";
import { loadFleet } from "../../src/fleet/loader";
import { METRIC_NAMES } from "../../src/health/metric-names";
import {
  AGENT_JOB,
  ALERT_NAMES,
  alertRules,
  renderPrometheusConfig,
  renderRulesFile,
  scrapeTargets,
  startupDashboard,
} from "../../src/monitoring";
import { promtoolTests } from "./promtool-tests";
import { skipOrFail } from "../support/engine";

const fleets = {
  mainpc: loadFleet("fleet/mainpc.yaml", { stack: "mainpc", gpuAvailable: true }),
  pc2: loadFleet("fleet/pc2.yaml", { stack: "pc2", gpuAvailable: false }),
};

function promtool(): string | undefined {
  const found = spawnSync("promtool", ["--version"], { encoding: "utf8" });
  return found.error ? undefined : "promtool";
}

describe("monitoring: alert rules", () => {
  it("holds the seed's two alerts, one per §6.1 threshold and one per expected target", () => {
    const fleet = fleets.mainpc;
    const [startup, presence] = alertRules(fleet);
    assert.deepEqual(
      startup.rules.map((r) => r.alert),
      [
        ALERT_NAMES.startupTimeout,
        ALERT_NAMES.criticalServiceDown,
        ALERT_NAMES.healthCheckSlow,
        ALERT_NAMES.dependencyCheckFailing,
        ALERT_NAMES.restartingTooOften,
      ],
    );
    assert.equal(startup.rules[0].expr, `${METRIC_NAMES.startupDuration} > 300`);
    assert.equal(startup.rules[0].for, "1m");
    assert.equal(startup.rules[1].expr, `up{job="${AGENT_JOB}",critical="true"} == 0`);
    assert.equal(startup.rules[1].for, "30s");
    assert.equal(presence.rules.length, fleet.agents.length);
    assert.deepEqual(
      presence.rules.map((r) => r.expr),
      fleet.agents.map((a) => `absent(up{job="${AGENT_JOB}",service="${a.name}"})`),
    );
  });

  it("docs/health-runtime.md states each alert's expression as the rules generate it", () => {
    const doc = readFileSync(path.join(__dirname, "../../docs/health-runtime.md"), "utf8");
    for (const rule of alertRules(fleets.mainpc)[0].rules) {
      assert.ok(doc.includes(`\`${rule.alert}\``), `${rule.alert} is not described`);
      assert.ok(doc.includes(`\`${rule.expr}\``), `${rule.alert}: the doc lacks \`${rule.expr}\``);
    }
  });

  it("takes every threshold from the fleet", () => {
    const fleet = structuredClone(fleets.pc2);
    fleet.alertThresholds = {
      startupTimeSeconds: 120,
      healthCheckDurationSeconds: 2.5,
      dependencyCheckFailures: 7,
      restarts: 9,
    };
    const rules = alertRules(fleet)[0].rules;
    assert.match(rules[0].expr, / > 120$/);
    assert.match(rules[2].expr, /le=~"2\\\\.5"/);
    assert.match(rules[3].expr, / >= 7$/);
    assert.match(rules[4].expr, / >= 9$/);
  });

  it("scrape targets carry service, group, wave, critical so up{group=...} works", () => {
    const targets = scrapeTargets(fleets.mainpc, (a) => `x-${a.name}:${a.healthPort}`);
    const registry = targets.find((t) => t.labels.service === "ServiceRegistry")!;
    assert.deepEqual(registry, {
      targets: ["x-ServiceRegistry:8200"],
      labels: {
        service: "ServiceRegistry",
        group: "core_platform",
        wave: "1",
        critical: "true",
        host: "mainpc",
      },
    });
    const config = parse(
      renderPrometheusConfig(fleets.mainpc, { address: (a) => a.name, rulesFile: "/r.yml" }),
    ) as {
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: unknown[] }[];
    };
    assert.deepEqual(config.rule_files, ["/r.yml"]);
    assert.equal(config.scrape_configs[0].job_name, AGENT_JOB);
    assert.equal(config.scrape_configs[0].static_configs.length, fleets.mainpc.agents.length);
  });

  it("the dashboard shows time to healthy per wave and agent, restarts, dependency failures", () => {
    const dashboard = startupDashboard(fleets.mainpc) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)).join("\n");
    assert.match(exprs, /max by \(wave\) \(cascade_startup_duration_seconds\)/);
    assert.match(exprs, /max by \(service, wave\) \(cascade_startup_duration_seconds\)/);
    assert.match(exprs, /cascade_restarts_total/);
    assert.match(exprs, /cascade_dependency_check_failures_total/);
  });

  for (const [stack, fleet] of Object.entries(fleets)) {
    describe(`promtool on the ${stack} rules`, () => {
      let dir: string;
      before(function () {
        if (!promtool()) {
          return skipOrFail(
            this,
            "promtool not found: install Debian's prometheus package",
            "system",
          );
        }
        dir = mkdtempSync(path.join(tmpdir(), `cascade-rules-${stack}-`));
        writeFileSync(path.join(dir, "rules.yml"), renderRulesFile(fleet));
        writeFileSync(
          path.join(dir, "tests.yml"),
          stringify(promtoolTests(fleet, "rules.yml"), { lineWidth: 0 }),
        );
        writeFileSync(
          path.join(dir, "prometheus.yml"),
          renderPrometheusConfig(fleet, {
            address: (a) => `localhost:${a.healthPort}`,
            rulesFile: "rules.yml",
          }),
        );
      });

      it("promtool check rules", () => {
        const result = spawnSync("promtool", ["check", "rules", "rules.yml"], {
          cwd: dir,
          encoding: "utf8",
        });
        assert.equal(result.status, 0, result.stdout + result.stderr);
        const output = result.stdout + result.stderr;
        assert.match(output, new RegExp(`SUCCESS: ${fleet.agents.length + 5} rules found`), output);
        assert.doesNotMatch(output, /FAILED|lint error/, output);
      });

      it("promtool check config", () => {
        const result = spawnSync("promtool", ["check", "config", "prometheus.yml"], {
          cwd: dir,
          encoding: "utf8",
        });
        assert.equal(result.status, 0, result.stdout + result.stderr);
      });

      it("promtool test rules: every alert fires when it should and only then", () => {
        const tests = promtoolTests(fleet, "rules.yml") as {
          tests: { alert_rule_test: { alertname: string }[] }[];
        };
        const tested = new Set(
          tests.tests.flatMap((t) => t.alert_rule_test.map((a) => a.alertname)),
        );
        assert.deepEqual(
          [...tested].sort(),
          Object.values(ALERT_NAMES).sort(),
          "an alert has no test",
        );
        const result = spawnSync("promtool", ["test", "rules", "tests.yml"], {
          cwd: dir,
          encoding: "utf8",
        });
        assert.equal(result.status, 0, result.stdout + result.stderr);
      });
    });
  }
});
