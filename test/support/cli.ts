import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";

export const CASCADE = path.join(__dirname, "../../bin/cascade");

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Closes the child's stdout once this many characters arrived (a reader that goes away). */
  closeStdoutAfter?: number;
  /** Called once with the child, e.g. to send it a signal when its output says so. */
  onSpawn?: (child: ChildProcess, output: () => { stdout: string; stderr: string }) => void;
}

/** Runs bin/cascade as a real child process, stdin closed, stdout and stderr on pipes. */
export function cascade(args: string[], options: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(CASCADE, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      if (options.closeStdoutAfter !== undefined && stdout.length >= options.closeStdoutAfter) {
        child.stdout.destroy();
      }
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    options.onSpawn?.(child, () => ({ stdout, stderr }));
  });
}
