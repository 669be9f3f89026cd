import { parseStandinConfig } from "./config";
import { RestartLedger } from "./restart-ledger";
import { startStandin } from "./server";

/** The stand-in agent's process: configuration from the environment, logs as JSON lines. */
function log(event: string, fields: object = {}): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), event, ...fields })}\n`);
}

async function main(): Promise<void> {
  const config = parseStandinConfig(process.env);
  const ledger = config.stateFile === undefined ? undefined : new RestartLedger(config.stateFile);
  const { crashAfterMs, crashExitCode } = config.misbehaviour;
  if (crashAfterMs !== undefined) {
    setTimeout(() => {
      log("crash", { exit_code: crashExitCode });
      ledger?.recordExit("crash");
      process.exit(crashExitCode);
    }, crashAfterMs);
  }
  const standin = await startStandin(config, log, performance.timeOrigin);
  for (const [reason, count] of Object.entries(ledger?.restartsByReason() ?? {})) {
    standin.agent.metrics.restarts.inc({ service: config.service.name, reason }, count);
  }
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      log("stopping", { signal });
      ledger?.recordExit("stopped");
      void standin.stop().then(() => process.exit(0));
    });
  }
}

main().catch((error: unknown) => {
  log("fatal", { error: error instanceof Error ? error.message : String(error) });
  process.exit(2);
});
