import { strict as assert } from "node:assert";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Registry } from "prom-client";
import { METRIC_NAMES } from "../../src/health/metric-names";
import { createStartupMetrics } from "../../src/health/metrics";
import {
  counterRise,
  errorRateQuery,
  prometheusErrorRate,
} from "../../src/rollout/prometheus-error-rate";

/**
 * The verify window's error rate from a real Prometheus (Debian's `prometheus`, as in CI) that
 * scrapes an agent's `cascade_requests_total` every second. Skipped where no prometheus binary is
 * installed (scripts/install-system-packages.sh installs it).
 */
const hasPrometheus = !spawnSync("prometheus", ["--version"]).error;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the error rate from Prometheus over the verify window", function () {
  this.timeout(60_000);
  let prometheus: ChildProcess | undefined;
  let agent: http.Server | undefined;
  let dir = "";
  let url = "";
  const metrics = createStartupMetrics(new Registry());

  before(async function () {
    if (!hasPrometheus) {
      console.log("      skipped: no prometheus binary (scripts/install-system-packages.sh)");
      this.skip();
    }
    agent = http.createServer((_req, res) => {
      void metrics.registry.metrics().then((text) => {
        res.writeHead(200, { "content-type": metrics.registry.contentType });
        res.end(text);
      });
    });
    await new Promise<void>((resolve) => agent!.listen(0, "127.0.0.1", resolve));
    const agentPort = (agent.address() as net.AddressInfo).port;
    const port = await freePort();
    dir = mkdtempSync(path.join(os.tmpdir(), "cascade-prometheus-"));
    writeFileSync(
      path.join(dir, "prometheus.yml"),
      [
        "global: { scrape_interval: 1s }",
        "scrape_configs:",
        "  - job_name: cascade-agents",
        `    static_configs: [{ targets: ["127.0.0.1:${agentPort}"] }]`,
      ].join("\n"),
    );
    prometheus = spawn(
      "prometheus",
      [
        `--config.file=${path.join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${path.join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: "ignore" },
    );
    url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      const ready = await fetch(`${url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) return;
      await sleep(200);
    }
    throw new Error("prometheus did not get ready");
  });

  /** Waits until Prometheus holds two samples of the counter. */
  async function scrapedTwice() {
    const query = encodeURIComponent(`count_over_time(${METRIC_NAMES.requests}{outcome="ok"}[1m])`);
    for (let i = 0; i < 100; i++) {
      const body = (await fetch(`${url}/api/v1/query?query=${query}`).then((r) => r.json())) as {
        data: { result: { value: [number, string] }[] };
      };
      if (Number(body.data.result[0]?.value[1] ?? 0) >= 2) return;
      await sleep(250);
    }
    throw new Error("prometheus did not scrape the agent");
  }

  after(() => {
    prometheus?.kill();
    agent?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("is the errors' share of the requests served inside the window, not before it", async () => {
    const labels = { service: "Models" };
    metrics.requests.inc({ ...labels, outcome: "ok" }, 0);
    metrics.requests.inc({ ...labels, outcome: "error" }, 0);
    await scrapedTwice();
    // Before the window: a burst of errors, scraped twice more, that must not count.
    metrics.requests.inc({ ...labels, outcome: "error" }, 100);
    await sleep(2500);
    const startMs = Date.now();
    metrics.requests.inc({ ...labels, outcome: "ok" }, 30);
    metrics.requests.inc({ ...labels, outcome: "error" }, 10);
    await sleep(3500);
    const sample = await prometheusErrorRate(url, { scrapeIntervalSeconds: 1 })({
      startMs,
      atMs: Date.now(),
    });
    assert.ok(sample, "Prometheus measured a rate");
    assert.equal(sample.source, "prometheus");
    assert.ok(Math.abs(sample.rate - 0.25) < 1e-6, `rate ${sample.rate}`);
  });

  it("has no data when no request was served in the window, or when Prometheus does not answer", async () => {
    const now = Date.now();
    const quiet = await prometheusErrorRate(url, { scrapeIntervalSeconds: 1 })({
      startMs: now,
      atMs: now,
    });
    assert.equal(quiet, undefined);
    const down = await prometheusErrorRate("http://127.0.0.1:9")({ startMs: 0, atMs: 1000 });
    assert.equal(down, undefined);
  });

  it("reads every agent's counters over the window; a drop is a restart, counted from 0", () => {
    assert.equal(errorRateQuery(42), "cascade_requests_total[42s]");
    assert.equal(counterRise([5, 7, 7, 12]), 7);
    assert.equal(counterRise([5, 9, 2, 4]), 4 + 2 + 2);
    assert.equal(counterRise([3]), 0);
  });
});
