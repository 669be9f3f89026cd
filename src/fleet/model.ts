/**
 * The fleet after loading: every default applied, every template expanded, every duration in
 * seconds. This is what the planner, the Docker and Kubernetes targets and the verifier read.
 */

/** One HTTP request that must answer 2xx (`curl -f` in the seed). */
export interface HttpCheck {
  name: string;
  method: "GET" | "POST" | "HEAD";
  /** Port on the agent itself. */
  port: number;
  path: string;
}

/** A pre-check that one of the agent's dependencies answers on its health endpoint. */
export interface DependencyCheck {
  service: string;
  port: number;
  path: string;
  /** A required dependency failing makes the agent unhealthy; an optional one, degraded. */
  required: boolean;
}

/** A stage of a staged check (startup -> models_loaded -> ready). */
export interface HealthStage {
  name: string;
  check: HttpCheck;
  startPeriodSeconds: number;
  intervalSeconds: number;
  timeoutSeconds: number;
}

export type HealthKind = "http" | "composite" | "staged";

/**
 * An agent's health check. `checks` all must pass (http: the main endpoint plus any extra
 * checks; composite: its sub-checks; staged: the last stage's check). Timing is Docker's: for a
 * staged check, `intervalSeconds` is its stages' shortest and `timeoutSeconds` the sum of its
 * stages' timeouts and the check's own, which the probe's other stages share
 * (`sharedTimeoutSeconds`).
 */
export interface HealthModel {
  kind: HealthKind;
  checks: HttpCheck[];
  /** Staged checks only, in order; empty otherwise. */
  stages: HealthStage[];
  dependencyChecks: DependencyCheck[];
  intervalSeconds: number;
  timeoutSeconds: number;
  retries: number;
  startPeriodSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

export interface RestartPolicy {
  condition: "any" | "on-failure" | "none";
  delaySeconds: number;
  maxAttempts: number;
}

export interface GpuRequest {
  /** Number of GPUs, or -1 for all; ignored when `deviceIds` is set. */
  count: number;
  deviceIds: string[];
}

export interface ModelConfig {
  preload: string[];
  onDemand: string[];
  maxModelsInMemory: number;
  evictionPolicy: "lru";
  idleTimeoutSeconds: number;
}

export interface Resources {
  cpus?: number;
  memoryBytes?: number;
  memoryReservationBytes?: number;
}

export interface Security {
  readOnlyRootFilesystem: boolean;
  /** "uid:gid" to run as, or undefined to keep the image's user. */
  user?: string;
}

export interface Agent {
  name: string;
  group: string;
  /** 1-based index into `Fleet.waves`: the wave the seed declares for this agent. */
  wave: number;
  standIn: boolean;
  image: string;
  servicePort?: number;
  healthPort: number;
  dependsOn: string[];
  critical: boolean;
  gpu?: GpuRequest;
  models?: ModelConfig;
  health: HealthModel;
  restart: RestartPolicy;
  resources: Resources;
  security: Security;
  environment: Record<string, string>;
}

export interface Wave {
  index: number;
  name: string;
  description?: string;
  windowStartSeconds: number;
  windowEndSeconds: number;
}

export interface Group {
  name: string;
  description?: string;
  agents: string[];
}

export type FailureCondition =
  | { kind: "health_check_failures"; aboveRatio: number; action: RollbackAction }
  | { kind: "error_rate"; aboveRatio: number; action: RollbackAction }
  | { kind: "critical_service_unhealthy"; action: RollbackAction };

export type RollbackAction = "immediate_rollback" | "gradual_rollback";

export type RollbackStage =
  | "pause_new_deployment"
  | "route_traffic_to_old"
  | "terminate_unhealthy_new"
  | "restore_old_version";

export interface RollbackPolicy {
  healthCheckWindowSeconds: number;
  failureConditions: FailureCondition[];
  rollbackStages: RollbackStage[];
}

/** Seed section 6.1 thresholds, shared by the Prometheus rules of every target. */
export interface AlertThresholds {
  startupTimeSeconds: number;
  healthCheckDurationSeconds: number;
  dependencyCheckFailures: number;
  restarts: number;
}

export interface Fleet {
  host: string;
  /** The file it was loaded from, for messages. */
  source: string;
  waves: Wave[];
  groups: Group[];
  /** In file order. */
  agents: Agent[];
  rollbackPolicy: RollbackPolicy;
  alertThresholds: AlertThresholds;
}
