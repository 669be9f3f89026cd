import assert from "node:assert/strict";
import { execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import type { Browser } from "playwright-core";
import type { RehearsalReport } from "../../src/rehearse/report";
import { dockerClient, ROOT } from "../../src/rehearse/run";
import { REHEARSAL_LABEL, REHEARSAL_OWNER_LABEL } from "../../src/rehearse/scale";
import { cascade, type CliRun } from "../support/cli";
import { launchChromium, openReport } from "../support/chromium";

/**
 * `cascade rehearse` as a user runs it, a real process against a real dockerd (scripts/dockerd.sh
 * start, the stand-in image): Ctrl-C and SIGTERM remove what it created and exit 130; what a
 * killed or --keep run left is named and removed by the next one; a port in use stops it before
 * anything is created; --json keeps progress on stderr; --report writes a page that draws.
 * Run under the shared Docker lock (flock /tmp/cascade-docker.lock).
 */

const FIXTURE = ["--stack", "rehearsal", "--stack-file", "test/rehearse/fixtures/stack.yaml"];
const SCALE = ["--scale", "0.25"];
/** The fixture's Registry health port (test/rehearse/fixtures/fleet.yaml). */
const REGISTRY_HEALTH_PORT = 8600;

/** Names of the containers a process created (its owner label), on the engine now. */
async function containersOf(pid: number): Promise<string[]> {
  const containers = await dockerClient().listContainers({
    all: true,
    filters: { label: [`${REHEARSAL_OWNER_LABEL}=${hostname()}:${pid}`] },
  });
  return containers.map((container) => container.Names[0].replace(/^\//, ""));
}

async function containersOfRun(runId: string): Promise<number> {
  const containers = await dockerClient().listContainers({
    all: true,
    filters: { label: [`${REHEARSAL_LABEL}=${runId}`] },
  });
  return containers.length;
}

/** Runs a fixture rehearsal and sends `signal` once an agent's container is starting. */
function rehearseUntilStarting(
  signal: NodeJS.Signals,
  extra: string[] = [],
): Promise<CliRun & { pid: number }> {
  let child: ChildProcess | undefined;
  let sent = false;
  return cascade(["rehearse", ...FIXTURE, ...SCALE, ...extra], {
    cwd: ROOT,
    onSpawn: (spawned, output) => {
      child = spawned;
      const poll = setInterval(() => {
        if (sent || !/ starting(?: \(|$)/m.test(output().stderr)) return;
        sent = true;
        clearInterval(poll);
        spawned.kill(signal);
      }, 50);
      spawned.on("close", () => clearInterval(poll));
    },
  }).then((run) => ({ ...run, pid: child!.pid! }));
}

describe("cascade rehearse, the command, on a real Docker engine", function () {
  this.timeout(300_000);
  let dir = "";

  before(function () {
    this.timeout(600_000);
    execFileSync(path.join(ROOT, "scripts", "dockerd.sh"), ["start"], { stdio: "inherit" });
    execFileSync(path.join(ROOT, "scripts", "build-standin-image.sh"), [], { stdio: "inherit" });
    dir = mkdtempSync(path.join(tmpdir(), "cascade-rehearse-cli-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`${signal} while agents start: removes every container it created, exits 130`, async () => {
      const run = await rehearseUntilStarting(signal);
      assert.equal(run.code, 130, run.stderr);
      assert.match(run.stderr, /stopping and removing what was created/);
      assert.match(run.stderr, /cascade rehearse: interrupted: removed everything/);
      assert.equal(run.stdout, "");
      assert.deepEqual(await containersOf(run.pid), []);
    });
  }

  it("a port in use is named before anything is created", async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(REGISTRY_HEALTH_PORT, "127.0.0.1", resolve));
    try {
      let pid = 0;
      const run = await cascade(["rehearse", ...FIXTURE, ...SCALE], {
        cwd: ROOT,
        onSpawn: (child) => (pid = child.pid!),
      });
      assert.equal(run.code, 1, run.stderr);
      assert.match(
        run.stderr,
        new RegExp(
          `ports the stand-ins listen on are in use: ${REGISTRY_HEALTH_PORT} \\(Registry's health port\\); nothing was created`,
        ),
      );
      assert.deepEqual(await containersOf(pid), []);
    } finally {
      server.close();
    }
  });

  it("--keep says what it kept; a killed run's containers are named and removed by the next run", async () => {
    // 1. Healthy and kept: it says what it kept and how to remove it.
    const kept = await cascade(["rehearse", ...FIXTURE, ...SCALE, "--keep"], { cwd: ROOT });
    assert.equal(kept.code, 0, kept.stderr);
    const keptRun = /^rehearsal (\w+) of stack rehearsal/m.exec(kept.stdout)![1];
    const keptLine =
      /^kept (\d+) containers and \d+ volumes \(--keep; label cascade\.rehearsal=(\w+)\); the next rehearsal removes them, or now: docker rm -f /m.exec(
        kept.stdout,
      );
    assert.ok(keptLine, kept.stdout);
    assert.equal(keptLine[2], keptRun);
    assert.equal(await containersOfRun(keptRun), Number(keptLine[1]));

    // 2. Killed outright (SIGKILL: no chance to clean up) after removing the kept run.
    const killed = await rehearseUntilStarting("SIGKILL");
    assert.equal(killed.signal, "SIGKILL");
    assert.match(
      killed.stderr,
      new RegExp(`removed what rehearsal ${keptRun} left behind \\(its process [^ ]+ is gone\\): `),
    );
    assert.equal(await containersOfRun(keptRun), 0);
    const left = await containersOf(killed.pid);
    assert.ok(left.length > 0, "the killed rehearsal left nothing to clean up");

    // 3. The next run names and removes them; --json keeps stdout for the report alone.
    const reportFile = path.join(dir, "rehearsal.html");
    const next = await cascade(
      ["rehearse", ...FIXTURE, ...SCALE, "--json", "--report", reportFile],
      {
        cwd: ROOT,
      },
    );
    assert.equal(next.code, 0, next.stderr);
    assert.match(
      next.stderr,
      /removed what rehearsal \w+ left behind \(its process [^ ]+ is gone\): /,
    );
    for (const name of left) assert.ok(next.stderr.includes(name), `${name} not named`);
    assert.deepEqual(await containersOf(killed.pid), []);
    assert.match(next.stderr, /wave 1 {2}Registry +healthy/, "progress on stderr");
    const report = JSON.parse(next.stdout) as RehearsalReport;
    assert.equal(report.outcome, "healthy");
    assert.ok(report.criticalPath.boundMs <= report.criticalPath.planned.worstMs);
    assert.equal(next.stderr.trim().split("\n").pop(), `report: ${reportFile}`);

    // The page of this real rehearsal draws every agent without an error.
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const { page, errors, requests } = await openReport(browser, reportFile);
      assert.deepEqual(errors, []);
      assert.deepEqual(requests, []);
      const table = await page.evaluate<string[]>(
        `[...document.querySelectorAll("#agents tbody tr td:first-child")].map((cell) => cell.textContent)`,
      );
      assert.deepEqual(table.sort(), report.agents.map((agent) => agent.agent).sort());
    } finally {
      await browser?.close();
    }
    assert.ok(readFileSync(reportFile, "utf8").includes(`Rehearsal ${report.runId} of stack`));
  });
});
