import type { HealthChecks, HealthStatus } from "./response";

/**
 * The overall status of an agent from its checks (seed §3.2, with criticality):
 * - unhealthy when self, a critical dependency or a critical stage is unhealthy;
 * - degraded when anything is degraded, or a non-critical dependency or stage is unhealthy;
 * - healthy otherwise.
 * A dependency without `critical` counts as critical, as every dependency does in the seed.
 */
export function aggregateStatus(
  checks: Pick<HealthChecks, "self" | "dependencies" | "stages">,
): HealthStatus {
  const parts = [
    { status: checks.self.status, critical: true },
    ...Object.values(checks.dependencies ?? {}).map((d) => ({
      status: d.status,
      critical: d.critical ?? true,
    })),
    ...Object.values(checks.stages ?? {}),
  ];
  if (parts.some((p) => p.critical && p.status === "unhealthy")) return "unhealthy";
  if (parts.some((p) => p.status !== "healthy")) return "degraded";
  return "healthy";
}

/** HTTP status for a health response: load balancers keep sending traffic while degraded. */
export function httpStatusFor(status: HealthStatus): 200 | 503 {
  return status === "unhealthy" ? 503 : 200;
}
