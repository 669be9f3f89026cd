import * as readline from "node:readline/promises";
import { RolloutInterrupted, type ConfirmOptions } from "../rollout/context";

/**
 * Asks a yes/no question on the terminal; anything but y/yes is no. With `options`, no answer
 * within `timeoutMs` (or stdin closing) answers `onTimeout`, and the question says so: a question
 * no one may be there to answer must not hold the run. `signal` (SIGINT/SIGTERM) interrupts it.
 */
export async function confirmOnTerminal(
  question: string,
  options?: ConfirmOptions,
  signal?: AbortSignal,
): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  const fallback = options?.onTimeout ?? false;
  const note = options
    ? ` (no answer in ${Math.round(options.timeoutMs / 1000)}s means ${fallback ? "yes" : "no"})`
    : "";
  const asked = new AbortController();
  const timer = options ? setTimeout(() => asked.abort(), options.timeoutMs) : undefined;
  const onInterrupt = () => asked.abort();
  signal?.addEventListener("abort", onInterrupt, { once: true });
  const closed = new Promise<string | undefined>((resolve) =>
    rl.once("close", () => resolve(undefined)),
  );
  try {
    const answer = await Promise.race([
      rl.question(`${question}${note} [y/N] `, { signal: asked.signal }),
      closed,
    ]);
    if (answer === undefined) return fallback;
    return /^y(es)?$/i.test(answer.trim());
  } catch (error) {
    if (signal?.aborted) throw new RolloutInterrupted();
    if ((error as Error).name === "AbortError") {
      console.log(`\n  no answer: ${fallback ? "yes" : "no"}`);
      return fallback;
    }
    throw error;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onInterrupt);
    rl.close();
  }
}
