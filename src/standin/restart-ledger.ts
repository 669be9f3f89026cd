import { readFileSync, writeFileSync } from "node:fs";
import { z } from "zod";

/**
 * Remembers the stand-in's past runs in a file that survives a container restart (the
 * container's writable layer is kept), so that `cascade_restarts_total{reason}` counts the
 * restarts of this container. The reason is what the previous run wrote on its way out;
 * "unknown" if it died without a word (killed, OOM).
 */
const ledgerSchema = z.object({
  restarts: z.record(z.string(), z.int().min(0)),
  lastExit: z.string(),
});
type Ledger = z.infer<typeof ledgerSchema>;

export class RestartLedger {
  private ledger: Ledger;

  /** Reads the previous runs and records this start as a restart if there was one. */
  constructor(private readonly path: string) {
    const previous = readLedger(path);
    this.ledger = { restarts: previous?.restarts ?? {}, lastExit: "unknown" };
    if (previous !== undefined) {
      this.ledger.restarts[previous.lastExit] = (this.ledger.restarts[previous.lastExit] ?? 0) + 1;
    }
    this.write();
  }

  restartsByReason(): Record<string, number> {
    return { ...this.ledger.restarts };
  }

  /** Records why this run is ending, for the next run to count. */
  recordExit(reason: string): void {
    this.ledger.lastExit = reason;
    this.write();
  }

  private write(): void {
    writeFileSync(this.path, JSON.stringify(this.ledger));
  }
}

function readLedger(path: string): Ledger | undefined {
  try {
    return ledgerSchema.parse(JSON.parse(readFileSync(path, "utf8")));
  } catch {
    return undefined;
  }
}
