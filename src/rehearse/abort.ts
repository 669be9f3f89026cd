/** How a rehearsal stops when interrupted: every wait rejects with RehearsalAborted. */

export class RehearsalAborted extends Error {
  constructor() {
    super("rehearsal interrupted");
  }
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new RehearsalAborted());
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new RehearsalAborted());
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
