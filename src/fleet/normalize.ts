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
import { memoryBytes } from "./memory";
import { listNames, quote, Suggester, type FieldPath, type Problem } from "./problems";
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
  // The first of two waves of one name wins; checks.ts reports the second.
  const waveIndex = new Map<string, number>();
  for (const wave of waves) if (!waveIndex.has(wave.name)) waveIndex.set(wave.name, wave.index);

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
  const context: FileContext = {
    file,
    waveIndex,
    healthPorts,
    problems,
    waveSuggester: new Suggester(waveIndex.keys()),
    templateSuggester: new Suggester(Object.keys(file.health_templates ?? {})),
    reportedGroups: new Set(),
  };
  const agents = locations.map((location) => agentOf(location, context));
  const groups = Object.entries(file.groups).map(([groupName, group]) => ({
    name: groupName,
    description: group.description,
    agents: group.agents.map((agent) => agent.name),
  }));

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

/** What every agent of one file is normalized with. */
interface FileContext {
  file: FleetFile;
  waveIndex: ReadonlyMap<string, number>;
  /** Health port per agent name, for dependency checks. */
  healthPorts: ReadonlyMap<string, number>;
  problems: Problem[];
  waveSuggester: Suggester;
  templateSuggester: Suggester;
  /** Groups whose unknown wave was reported: once per group, not once per agent. */
  reportedGroups: Set<string>;
}

function agentOf(location: AgentLocation, context: FileContext): Agent {
  const { entry, path } = location;
  const { file, healthPorts, problems } = context;
  const groupName = path[1] as string;
  const wave = agentWave(location, groupName, context);
  const check = resolveTemplate(entry, path, file, context.templateSuggester, problems);
  return {
    name: entry.name,
    group: groupName,
    wave,
    standIn: entry.stand_in ?? false,
    image: entry.image,
    servicePort: entry.ports.service,
    healthPort: entry.ports.health,
    dependsOn: entry.depends_on ?? [],
    critical: entry.critical ?? file.groups[groupName].critical ?? false,
    gpu: gpuRequest(entry.gpu),
    models: modelConfig(entry),
    health: check
      ? healthModel(check, entry, file, healthPorts)
      : healthModel({ type: "http", endpoint: HEALTH_ENDPOINT }, entry, file, healthPorts),
    restart: restartPolicy(entry, file),
    resources: resources({ ...file.defaults?.resources, ...entry.resources }),
    security: security(entry, file),
    environment: entry.environment ?? {},
  };
}

/** The agent's wave index (its own wave, else its group's); 0, with a problem, when unknown. */
function agentWave(
  { entry, path }: AgentLocation,
  groupName: string,
  { file, waveIndex, problems, waveSuggester, reportedGroups }: FileContext,
): number {
  const waveName = entry.wave ?? file.groups[groupName].wave;
  if (waveName === undefined) {
    problems.push({
      path: [...path, "name"],
      message: `agent ${quote(entry.name)} has no wave: set "wave" on the agent or on group ${quote(groupName)}`,
    });
    return 0;
  }
  if (!waveIndex.has(waveName)) {
    const fromGroup = entry.wave === undefined;
    if (!fromGroup || !reportedGroups.has(groupName)) {
      if (fromGroup) reportedGroups.add(groupName);
      problems.push({
        path: fromGroup ? ["groups", groupName, "wave"] : [...path, "wave"],
        message: `unknown wave ${quote(waveName)}; declared waves are ${listNames([...waveIndex.keys()])}.${waveSuggester.didYouMean(waveName)}`,
      });
    }
    return 0;
  }
  return waveIndex.get(waveName)!;
}

function restartPolicy(entry: AgentEntry, file: FleetFile): Agent["restart"] {
  return {
    condition:
      entry.restart?.condition ?? file.defaults?.restart?.condition ?? RESTART_DEFAULTS.condition,
    delaySeconds:
      entry.restart?.delay ?? file.defaults?.restart?.delay ?? RESTART_DEFAULTS.delaySeconds,
    maxAttempts:
      entry.restart?.max_attempts ??
      file.defaults?.restart?.max_attempts ??
      RESTART_DEFAULTS.maxAttempts,
  };
}

function security(entry: AgentEntry, file: FleetFile): Agent["security"] {
  return {
    readOnlyRootFilesystem:
      entry.security?.read_only_root_filesystem ??
      file.defaults?.security?.read_only_root_filesystem ??
      true,
    user: entry.security?.user ?? file.defaults?.security?.user,
  };
}

type CheckWithOverrides = HealthCheckEntry & Partial<Omit<TemplateReference, "template">>;

function resolveTemplate(
  entry: AgentEntry,
  path: FieldPath,
  file: FleetFile,
  suggester: Suggester,
  problems: Problem[],
): CheckWithOverrides | undefined {
  const check = entry.health_check;
  if (!("template" in check)) return check;
  const { template: templateName, ...overrides } = check;
  const templates = file.health_templates ?? {};
  // Own keys only: "constructor" or "toString" must not resolve to Object.prototype.
  if (!Object.hasOwn(templates, templateName)) {
    const known = Object.keys(templates);
    problems.push({
      path: [...path, "health_check", "template"],
      message: `unknown health template ${quote(templateName)}; define it under health_templates${known.length ? ` (defined: ${listNames(known)})` : ""}.${suggester.didYouMean(templateName)}`,
    });
    return undefined;
  }
  const template = templates[templateName];
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
        ? stages.reduce((least, stage) => Math.min(least, stage.intervalSeconds), Infinity)
        : (timing.interval ?? DOCKER_HEALTH_DEFAULTS.intervalSeconds),
    // A staged check's stages keep their own timeouts (seed 1.2); the check's timeout is what
    // the probe's other stages share, as in any check. Docker's timeout covers the sum.
    timeoutSeconds:
      stages.reduce((sum, stage) => sum + stage.timeoutSeconds, 0) +
      (timing.timeout ?? DOCKER_HEALTH_DEFAULTS.timeoutSeconds),
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
