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
  }
}

async function checkProcess(name: string): Promise<void> {
  const pids = (await readdir("/proc")).filter((entry) => /^\d+$/.test(entry));
  for (const pid of pids) {
    try {
      const [stat, cmdline] = await Promise.all([
        readFile(`/proc/${pid}/stat`, "utf8"),
        readFile(`/proc/${pid}/cmdline`, "utf8"),
      ]);
      // stat is "pid (comm) state ...": comm may hold spaces and parentheses.
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      const argv0 = basename(cmdline.split("\0")[0] ?? "");
      if (state !== "Z" && (comm === name || argv0 === name)) return;
    } catch {
      // The process exited while we were looking at it.
    }
  }
  throw new Error(`no running process named ${name}`);
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
