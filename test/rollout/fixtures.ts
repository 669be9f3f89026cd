import type { AgentObservation, Poll } from "../../src/rollout/policy";

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
