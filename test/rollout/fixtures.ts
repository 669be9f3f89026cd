import type { RollbackPolicy } from "../../src/fleet/model";
import type { AgentObservation, Poll } from "../../src/rollout/policy";

/** Seed §7.1, as the loader normalizes it. */
export const SEED_POLICY: RollbackPolicy = {
  healthCheckWindowSeconds: 300,
  failureConditions: [
    { kind: "health_check_failures", aboveRatio: 0.5, action: "immediate_rollback" },
    { kind: "critical_service_unhealthy", action: "immediate_rollback" },
    { kind: "error_rate", aboveRatio: 0.1, action: "gradual_rollback" },
  ],
  rollbackStages: [
    "pause_new_deployment",
    "route_traffic_to_old",
    "terminate_unhealthy_new",
    "restore_old_version",
  ],
};

export const AGENTS = [
  { name: "ServiceRegistry", critical: true },
  { name: "A", critical: false },
  { name: "B", critical: false },
  { name: "C", critical: false },
];

export function healthy(
  names: string[],
  extra: Partial<AgentObservation> = {},
): AgentObservation[] {
  return names.map((agent) => ({ agent, outcome: "healthy", ...extra }));
}

/** Polls every `intervalMs` from `startMs`, each built by `make(index)`. */
export function pollSeries(
  startMs: number,
  intervalMs: number,
  count: number,
  make: (index: number) => AgentObservation[],
): Poll[] {
  return Array.from({ length: count }, (_, index) => ({
    atMs: startMs + index * intervalMs,
    results: make(index),
  }));
}
