import { HEALTH_ENDPOINT } from "./defaults";
import type { Agent } from "./model";

/**
 * The agent's standard health endpoint (seed §3.1: the status with its checks, degraded
 * included): its http check's endpoint, else the health runtime's `/health`. Both targets probe
 * it, it is the health URL of the stack outputs, and the deploy verifier polls it.
 */
export function healthEndpoint(agent: Pick<Agent, "health">): string {
  const health = agent.health;
  if (health.kind === "http" && health.checks.length > 0) return health.checks[0].path;
  return HEALTH_ENDPOINT;
}

/**
 * `<endpoint>/<leaf>`: the health runtime's convention, every agent serves `/startup` (startup
 * done) and `/ready` (serving: every critical stage passes, degraded or not) next to it.
 */
export function healthSubPath(agent: Pick<Agent, "health">, leaf: "startup" | "ready"): string {
  return `${healthEndpoint(agent).replace(/\/+$/, "")}/${leaf}`;
}
