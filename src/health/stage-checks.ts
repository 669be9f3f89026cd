import { readdir, readFile } from "node:fs/promises";
import { request } from "node:http";
import { connect } from "node:net";
import { basename } from "node:path";
import type { ProbeStage } from "./probe-spec";

/** Checks one target of a stage; resolves when it passes, rejects with the reason otherwise. */
export function checkTarget(stage: ProbeStage, target: string, signal: AbortSignal): Promise<void> {
  switch (stage.kind) {
    case "process":
      return checkProcess(target);
    case "tcp":
      return checkTcp(target, signal);
    case "http":
      return checkHttp(target, stage.method ?? "GET", signal);
    case "health":
      return checkHealthy(target, signal);
  }
}

async function checkProcess(target: string): Promise<void> {
  const pid = /^pid:(\d+)$/.exec(target)?.[1];
  if (pid !== undefined) return checkPid(pid);
  const name = target;
  const pids = (await readdir("/proc")).filter((entry) => /^\d+$/.test(entry));
  for (const pid of pids) {
    try {
      const [stat, cmdline] = await Promise.all([
        readFile(`/proc/${pid}/stat`, "utf8"),
        readFile(`/proc/${pid}/cmdline`, "utf8"),
      ]);
      // stat is "pid (comm) state ...": comm may hold spaces and parentheses.
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const argv0 = basename(cmdline.split("\0")[0] ?? "");
      if (processState(stat) !== "Z" && (comm === name || argv0 === name)) return;
    } catch {
      // The process exited while we were looking at it.
    }
  }
  throw new Error(`no running process named ${name}`);
}

async function checkPid(pid: string): Promise<void> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, "utf8");
  } catch {
    throw new Error(`no process ${pid}`);
  }
  if (processState(stat) === "Z") throw new Error(`process ${pid} is a zombie`);
}

/** The state letter of a /proc/<pid>/stat line, "pid (comm) state ...". */
function processState(stat: string): string {
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
}

function checkTcp(target: string, signal: AbortSignal): Promise<void> {
  const separator = target.lastIndexOf(":");
  const host = target.slice(0, separator);
  const port = Number(target.slice(separator + 1));
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const onAbort = (): void => {
      socket.destroy();
      reject(new Error(`timed out connecting to ${target}`));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    socket.once("connect", () => {
      signal.removeEventListener("abort", onAbort);
      socket.destroy();
      resolve();
    });
    socket.once("error", (error) => {
      signal.removeEventListener("abort", onAbort);
      reject(new Error(`cannot connect to ${target}: ${error.message}`));
    });
  });
}

/** Resolves when `url` answers below 400 (as `curl -f`), rejects otherwise or on abort. */
export function checkHttp(url: string, method: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false, signal }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      if (status < 400) resolve();
      else reject(new Error(`${method} ${url} answered ${status}`));
    });
    req.once("error", (error) => {
      reject(
        new Error(
          signal.aborted ? `timed out: ${method} ${url}` : `${method} ${url}: ${error.message}`,
        ),
      );
    });
    req.end();
  });
}

/** Resolves when `url` answers below 400 with a standard health response whose status is healthy. */
function checkHealthy(url: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "GET", agent: false, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.once("error", (error) => reject(new Error(`GET ${url}: ${error.message}`)));
      res.once("end", () => {
        const status = res.statusCode ?? 0;
        if (status >= 400) return reject(new Error(`GET ${url} answered ${status}`));
        const reported = reportedStatus(Buffer.concat(chunks).toString("utf8"));
        if (reported === "healthy") resolve();
        else reject(new Error(`GET ${url} reports ${reported ?? "no health status"}`));
      });
    });
    req.once("error", (error) => {
      reject(new Error(signal.aborted ? `timed out: GET ${url}` : `GET ${url}: ${error.message}`));
    });
    req.end();
  });
}

function reportedStatus(body: string): string | undefined {
  try {
    const status = (JSON.parse(body) as { status?: unknown }).status;
    return typeof status === "string" ? status : undefined;
  } catch {
    return undefined;
  }
}
