import {
  DOCKER_HEALTH_DEFAULTS,
  HEALTH_ENDPOINT,
  MODEL_CACHE_DEFAULTS,
  RESTART_DEFAULTS,
  SEED_ALERT_THRESHOLDS,
  SEED_ROLLBACK_POLICY,
} from "./defaults";
import type {
  Agent,
  AlertThresholds,
  DependencyCheck,
  FailureCondition,
  Fleet,
  HealthModel,
  HttpCheck,
  ModelConfig,
  RollbackPolicy,
} from "./model";
import { didYouMean, type FieldPath, type Problem } from "./problems";
import type { AgentEntry, FleetFile, HealthCheckEntry, TemplateReference } from "./schema";

/** Where each agent sits in the file, for positioned messages. */
export interface AgentLocation {
  entry: AgentEntry;
  path: FieldPath;
}

export interface Normalized {
  fleet: Fleet;
  locations: AgentLocation[];
  problems: Problem[];
}

/** Applies defaults, group settings and templates; reports names that do not resolve. */
export function normalize(file: FleetFile, source: string): Normalized {
  const problems: Problem[] = [];
  const waves = file.waves.map((wave, i) => ({
    index: i + 1,
    name: wave.name,
    description: wave.description,
    windowStartSeconds: wave.window[0],
    windowEndSeconds: wave.window[1],
  }));
  const waveIndex = new Map(waves.map((wave) => [wave.name, wave.index]));

  const locations: AgentLocation[] = [];
  for (const [groupName, group] of Object.entries(file.groups)) {
    group.agents.forEach((entry, i) => {
      locations.push({ entry, path: ["groups", groupName, "agents", i] });
    });
  }
  const healthPorts = new Map<string, number>();
  for (const { entry } of locations) {
    if (!healthPorts.has(entry.name)) healthPorts.set(entry.name, entry.ports.health);
  }

  const agents: Agent[] = [];
  const groups = Object.entries(file.groups).map(([groupName, group]) => ({
    name: groupName,
    description: group.description,
    agents: group.agents.map((agent) => agent.name),
  }));
  for (const { entry, path } of locations) {
    const groupName = path[1] as string;
    const group = file.groups[groupName];
    const waveName = entry.wave ?? group.wave;
    let wave = 0;
    if (waveName === undefined) {
      problems.push({
        path: [...path, "name"],
        message: `agent "${entry.name}" has no wave: set "wave" on the agent or on group "${groupName}"`,
      });
    } else if (!waveIndex.has(waveName)) {
      problems.push({
        path: entry.wave !== undefined ? [...path, "wave"] : ["groups", groupName, "wave"],
        message: `unknown wave "${waveName}"; declared waves are ${[...waveIndex.keys()].join(", ")}.${didYouMean(waveName, waveIndex.keys())}`,
      });
    } else {
      wave = waveIndex.get(waveName)!;
    }

    const check = resolveTemplate(entry, path, file, problems);
    agents.push({
      name: entry.name,
      group: groupName,
      wave,
      standIn: entry.stand_in ?? false,
      image: entry.image,
      servicePort: entry.ports.service,
      healthPort: entry.ports.health,
      dependsOn: entry.depends_on ?? [],
      critical: entry.critical ?? group.critical ?? false,
      gpu: gpuRequest(entry.gpu),
      models: modelConfig(entry),
      health: check
        ? healthModel(check, entry, file, healthPorts)
        : healthModel({ type: "http", endpoint: HEALTH_ENDPOINT }, entry, file, healthPorts),
      restart: {
        condition:
          entry.restart?.condition ??
          file.defaults?.restart?.condition ??
          RESTART_DEFAULTS.condition,
        delaySeconds:
          entry.restart?.delay ?? file.defaults?.restart?.delay ?? RESTART_DEFAULTS.delaySeconds,
        maxAttempts:
          entry.restart?.max_attempts ??
          file.defaults?.restart?.max_attempts ??
          RESTART_DEFAULTS.maxAttempts,
      },
      resources: resources({ ...file.defaults?.resources, ...entry.resources }),
      security: {
        readOnlyRootFilesystem:
          entry.security?.read_only_root_filesystem ??
          file.defaults?.security?.read_only_root_filesystem ??
          true,
        user: entry.security?.user ?? file.defaults?.security?.user,
      },
      environment: entry.environment ?? {},
    });
  }

  return {
    fleet: {
      host: file.host,
      source,
      waves,
      groups,
      agents,
      rollbackPolicy: rollbackPolicy(file),
      alertThresholds: alertThresholds(file),
    },
    locations,
    problems,
  };
}

type CheckWithOverrides = HealthCheckEntry & Partial<Omit<TemplateReference, "template">>;

function resolveTemplate(
  entry: AgentEntry,
  path: FieldPath,
  file: FleetFile,
  problems: Problem[],
): CheckWithOverrides | undefined {
  const check = entry.health_check;
  if (!("template" in check)) return check;
  const { template: templateName, ...overrides } = check;
  const template = file.health_templates?.[templateName];
  if (!template) {
    const known = Object.keys(file.health_templates ?? {});
    problems.push({
      path: [...path, "health_check", "template"],
      message: `unknown health template "${templateName}"; define it under health_templates${known.length ? ` (defined: ${known.join(", ")})` : ""}.${didYouMean(templateName, known)}`,
    });
    return undefined;
  }
  return { ...template, ...stripUndefined(overrides) };
}

function healthModel(
  check: CheckWithOverrides,
  entry: AgentEntry,
  file: FleetFile,
  healthPorts: ReadonlyMap<string, number>,
): HealthModel {
  const defaults = file.defaults?.health_check ?? {};
  const timing = { ...defaults, ...stripUndefined(check) };
  const httpCheck = (
    name: string,
    endpoint: string,
    method?: HttpCheck["method"],
    port?: number,
  ) => ({
    name,
    method: method ?? "GET",
    port: port ?? entry.ports.health,
    path: endpoint,
  });
  const stages =
    check.type === "staged"
      ? check.stages.map((stage) => ({
          name: stage.name,
          check: httpCheck(stage.name, stage.endpoint),
          startPeriodSeconds: stage.start_period ?? 0,
          intervalSeconds:
            stage.interval ?? timing.interval ?? DOCKER_HEALTH_DEFAULTS.intervalSeconds,
          timeoutSeconds: stage.timeout ?? timing.timeout ?? DOCKER_HEALTH_DEFAULTS.timeoutSeconds,
        }))
      : [];

  let checks: HttpCheck[];
  if (check.type === "staged") {
    checks = [stages[stages.length - 1].check];
  } else {
    const main =
      check.type === "http" ? [httpCheck("health", check.endpoint ?? HEALTH_ENDPOINT)] : [];
    const extra = (check.checks ?? []).map((c) => httpCheck(c.name, c.endpoint, c.method, c.port));
    checks = uniqueRequests([...main, ...extra]);
  }

  const retries = timing.retries ?? timing.failure_threshold ?? DOCKER_HEALTH_DEFAULTS.retries;
  return {
    kind: check.type,
    checks,
    stages,
    dependencyChecks: dependencyChecks(check.dependency_checks, entry, healthPorts),
    intervalSeconds:
      check.type === "staged" && check.interval === undefined
        ? Math.min(...stages.map((stage) => stage.intervalSeconds))
        : (timing.interval ?? DOCKER_HEALTH_DEFAULTS.intervalSeconds),
    timeoutSeconds:
      check.type === "staged" && check.timeout === undefined
        ? Math.max(...stages.map((stage) => stage.timeoutSeconds))
        : (timing.timeout ?? DOCKER_HEALTH_DEFAULTS.timeoutSeconds),
    retries,
    startPeriodSeconds:
      check.type === "staged" && check.start_period === undefined
        ? stages.reduce((sum, stage) => sum + stage.startPeriodSeconds, 0)
        : (timing.start_period ?? DOCKER_HEALTH_DEFAULTS.startPeriodSeconds),
    successThreshold: timing.success_threshold ?? DOCKER_HEALTH_DEFAULTS.successThreshold,
    failureThreshold: timing.failure_threshold ?? retries,
  };
}

function dependencyChecks(
  declared: CheckWithOverrides["dependency_checks"],
  entry: AgentEntry,
  healthPorts: ReadonlyMap<string, number>,
): DependencyCheck[] {
  if (declared === undefined) return [];
  const list =
    declared === "all_dependencies"
      ? (entry.depends_on ?? []).map((service) => ({
          service,
          endpoint: undefined,
          required: undefined,
        }))
      : declared;
  return list.map((dependency) => ({
    service: dependency.service,
    port: healthPorts.get(dependency.service) ?? 0,
    path: dependency.endpoint ?? HEALTH_ENDPOINT,
    required: dependency.required ?? true,
  }));
}

function uniqueRequests(checks: HttpCheck[]): HttpCheck[] {
  const seen = new Set<string>();
  return checks.filter((check) => {
    const key = `${check.method} ${check.port} ${check.path}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function gpuRequest(gpu: AgentEntry["gpu"]): Agent["gpu"] {
  if (gpu === undefined || gpu === false) return undefined;
  if (gpu === true) return { count: 1, deviceIds: [] };
  return { count: gpu.count ?? 1, deviceIds: gpu.device_ids ?? [] };
}

function modelConfig(entry: AgentEntry): ModelConfig | undefined {
  const models = entry.models;
  if (!models) return undefined;
  const preload = models.preload ?? [];
  const onDemand = models.on_demand ?? [];
  return {
    preload,
    onDemand,
    maxModelsInMemory:
      models.cache_strategy?.max_models_in_memory ?? preload.length + onDemand.length,
    evictionPolicy: models.cache_strategy?.eviction_policy ?? MODEL_CACHE_DEFAULTS.evictionPolicy,
    idleTimeoutSeconds:
      models.cache_strategy?.idle_timeout ?? MODEL_CACHE_DEFAULTS.idleTimeoutSeconds,
  };
}

const BINARY_UNITS: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };

/** "512Mi" -> 536870912; the schema admits only Ki, Mi and Gi. */
export function memoryBytes(size: string): number {
  const unit = size.slice(-2);
  return Number(size.slice(0, -2)) * BINARY_UNITS[unit];
}

function resources(entry: { cpus?: number; memory?: string; memory_reservation?: string }) {
  return {
    cpus: entry.cpus,
    memoryBytes: entry.memory === undefined ? undefined : memoryBytes(entry.memory),
    memoryReservationBytes:
      entry.memory_reservation === undefined ? undefined : memoryBytes(entry.memory_reservation),
  };
}

function rollbackPolicy(file: FleetFile): RollbackPolicy {
  const policy = file.rollback_policy;
  if (!policy) return SEED_ROLLBACK_POLICY;
  return {
    healthCheckWindowSeconds: policy.health_check_window,
    failureConditions: policy.failure_conditions.map(({ condition, action }): FailureCondition => {
      if (condition === "critical_service_unhealthy") return { kind: condition, action };
      const [, kind, percent] = /^(\w+)\s*>\s*([\d.]+)%$/.exec(condition)!;
      return {
        kind: kind as "health_check_failures" | "error_rate",
        aboveRatio: Number(percent) / 100,
        action,
      };
    }),
    rollbackStages: policy.rollback_stages,
  };
}

function alertThresholds(file: FleetFile): AlertThresholds {
  const set = file.alert_thresholds ?? {};
  return {
    startupTimeSeconds: set.startup_time ?? SEED_ALERT_THRESHOLDS.startupTimeSeconds,
    healthCheckDurationSeconds:
      set.health_check_duration ?? SEED_ALERT_THRESHOLDS.healthCheckDurationSeconds,
    dependencyCheckFailures:
      set.dependency_check_failures ?? SEED_ALERT_THRESHOLDS.dependencyCheckFailures,
    restarts: set.restarts ?? SEED_ALERT_THRESHOLDS.restarts,
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
