import type { HealthResponse, HealthStatus } from "./response";

/**
 * The standard response mapped to `application/health+json`
 * (draft-inadarei-api-health-check-06): pass/warn/fail and `checks` keyed
 * "component:measurement", each a list of observations.
 */

export type IetfStatus = "pass" | "warn" | "fail";

export interface IetfCheck {
  componentId?: string;
  componentType?: string;
  observedValue?: number;
  observedUnit?: string;
  status: IetfStatus;
  time?: string;
  output?: string;
}

export interface IetfHealthResponse {
  status: IetfStatus;
  version: string;
  releaseId: string;
  serviceId: string;
  description: string;
  output?: string;
  checks: Record<string, IetfCheck[]>;
}

const ietfStatusOf: Record<HealthStatus, IetfStatus> = {
  healthy: "pass",
  degraded: "warn",
  unhealthy: "fail",
};

export function toIetfHealth(response: HealthResponse): IetfHealthResponse {
  const time = response.timestamp;
  const checks: Record<string, IetfCheck[]> = {};
  const latencyCheck = (
    componentId: string,
    componentType: string,
    check: { status: HealthStatus; latency_ms?: number; error?: string },
  ): IetfCheck => ({
    componentId,
    componentType,
    ...(check.latency_ms === undefined
      ? {}
      : { observedValue: check.latency_ms, observedUnit: "ms" }),
    status: ietfStatusOf[check.status],
    time,
    ...(check.error === undefined ? {} : { output: check.error }),
  });
  const systemObservation = (observedValue: number, observedUnit: string): IetfCheck[] => [
    { componentType: "system", observedValue, observedUnit, status: "pass", time },
  ];

  checks["self:responseTime"] = [
    latencyCheck(response.service.name, "component", response.checks.self),
  ];
  for (const [name, dependency] of Object.entries(response.checks.dependencies ?? {})) {
    checks[`${name}:responseTime`] = [latencyCheck(name, "component", dependency)];
  }
  for (const [name, stage] of Object.entries(response.checks.stages ?? {})) {
    checks[`${name}:status`] = [latencyCheck(name, "stage", stage)];
  }
  checks["uptime"] = systemObservation(response.service.uptime_seconds, "s");
  const resources = response.checks.resources ?? {};
  if (resources.memory_mb !== undefined)
    checks["memory:utilization"] = systemObservation(resources.memory_mb, "MiB");
  if (resources.cpu_percent !== undefined)
    checks["cpu:utilization"] = systemObservation(resources.cpu_percent, "percent");
  if (resources.gpu_memory_mb !== undefined)
    checks["gpu:memory"] = systemObservation(resources.gpu_memory_mb, "MiB");
  if (resources.threads !== undefined)
    checks["threads:count"] = systemObservation(resources.threads, "threads");

  const failing = Object.entries(checks)
    .filter(([, observations]) => observations.some((o) => o.status !== "pass"))
    .map(([key]) => key);
  return {
    status: ietfStatusOf[response.status],
    version: response.service.version.split(".")[0] ?? response.service.version,
    releaseId: response.service.version,
    serviceId: response.service.name,
    description: `health of ${response.service.name}`,
    ...(failing.length === 0 ? {} : { output: `not passing: ${failing.join(", ")}` }),
    checks,
  };
}
