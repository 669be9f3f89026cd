import type { Agent, HealthModel } from "../fleet/model";
import { probeSpec } from "./probe-stages";

/**
 * THE place Docker healthchecks come from: an agent's health model compiled to the provider's
 * `healthcheck` block. Timing is the model's own (interval, timeout, retries, start period), so
 * the planner's worst case (`startPeriod + retries * (interval + timeout)`) is exactly what
 * Docker can take. The probe's stages come from probe-stages.ts. What Docker cannot express is
 * listed in docs/docker-target.md.
 */

/** The provider's `healthcheck` input with plain values; durations as Docker strings. */
export interface DockerHealthcheck {
  tests: string[];
  interval: string;
  timeout: string;
  retries: number;
  startPeriod: string;
}

export type HealthProbe = "cascade-probe" | "curl";

export interface HealthcheckOptions {
  probe: HealthProbe;
  /** Path of the probe binary inside the container (cascade-probe only). */
  probePath: string;
  /** Host name the agent reaches a dependency on: its container name, or 127.0.0.1. */
  dependencyHost: (service: string) => string;
}

/**
 * Seconds as a Docker duration, spelled as Go's time.Duration prints it: 10 -> "10s", 0.5 ->
 * "500ms", 90 -> "1m30s", 180 -> "3m0s", 3600 -> "1h0m0s". The provider reads the healthcheck
 * back from Docker in that spelling, so any other ("180s") shows as a change after every `up`,
 * and the healthcheck replaces the container.
 */
export function dockerDuration(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  if (ms === 0) return "0s";
  if (ms < 1000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const rest = (ms % 60_000) / 1000;
  const secs = `${Number.isInteger(rest) ? rest : rest.toFixed(3).replace(/0+$/, "")}s`;
  if (hours > 0) return `${hours}h${minutes}m${secs}`;
  if (minutes > 0) return `${minutes}m${secs}`;
  return secs;
}

export function dockerHealthcheck(agent: Agent, options: HealthcheckOptions): DockerHealthcheck {
  const health = agent.health;
  return {
    tests:
      options.probe === "cascade-probe"
        ? ["CMD", options.probePath, "--spec-json", JSON.stringify(probeSpec(agent, options))]
        : ["CMD-SHELL", curlCommand(agent, options)],
    interval: dockerDuration(health.intervalSeconds),
    timeout: dockerDuration(health.timeoutSeconds),
    retries: health.retries,
    startPeriod: dockerDuration(health.startPeriodSeconds),
  };
}

/**
 * The curl fallback: every check as `curl -f`, required dependencies first (seed §2.2's
 * pre_checks), then the agent's own checks; for a staged check, its last stage only. Optional
 * dependencies are left out: curl has no "degraded".
 */
export function curlCommand(
  agent: Agent,
  options: Pick<HealthcheckOptions, "dependencyHost">,
): string {
  const health: HealthModel = agent.health;
  const maxTime = Math.max(1, health.timeoutSeconds - 1);
  const curl = (method: string, url: string): string =>
    `curl -fsS -o /dev/null --max-time ${maxTime}${method === "GET" ? "" : ` -X ${method}`} ${url}`;
  const commands = [
    ...health.dependencyChecks
      .filter((check) => check.required)
      .map((check) =>
        curl("GET", `http://${options.dependencyHost(check.service)}:${check.port}${check.path}`),
      ),
    ...health.checks.map((check) =>
      curl(check.method, `http://127.0.0.1:${check.port}${check.path}`),
    ),
  ];
  return commands.join(" && ");
}
