import { availableParallelism, hostname } from "node:os";
import type Docker from "dockerode";
import { firstPassingProbe, type AgentTiming } from "../fleet/timing";
import { processStart } from "./process-start";
import { env, type ContainerInputs, type RehearsalAgent } from "./specs";

/**
 * The one mapping from a registered `docker.Container` to the rehearsal's container: the
 * stand-in image in place of the agent's, every duration times `scale`, host networking, and
 * the stand-in's stage delays derived from the agent's own health timing (docs/rehearsal.md).
 */

export const STANDIN_IMAGE = "cascade/standin:dev";
/** Every container and volume of a rehearsal carries its run id under this label. */
export const REHEARSAL_LABEL = "cascade.rehearsal";
/** ...and the process that created it, `<hostname>:<pid>`: a leftover is one whose owner is gone. */
export const REHEARSAL_OWNER_LABEL = "cascade.rehearsal.owner";

/** ...and when that process started (`processStart`): its pid may be another process's later. */
export const REHEARSAL_OWNER_START_LABEL = "cascade.rehearsal.owner-start";

/** This process as the owner label has it. */
export const rehearsalOwner = (): string => `${hostname()}:${process.pid}`;

/** The labels of everything a rehearsal creates. */
export function rehearsalLabels(runId: string): Record<string, string> {
  const start = processStart(process.pid);
  return {
    [REHEARSAL_LABEL]: runId,
    [REHEARSAL_OWNER_LABEL]: rehearsalOwner(),
    ...(start === undefined ? {} : { [REHEARSAL_OWNER_START_LABEL]: start }),
  };
}

/**
 * Floors of the scaled timings. Scaling compresses time but not what a probe costs: every probe
 * is a `docker exec` (dockerd, containerd, shim, runc, then the probe and the stand-in's answer),
 * measured at ~110 ms of host CPU plus ~45 ms in the container per probe (35 healthy mainpc
 * stand-ins probed every 3 s: 1.33 CPU in dockerd/containerd/shims, 0.55 CPU in the containers).
 * mainpc at 0.05 unfloored (250-500 ms intervals) asks for ~20 CPUs of probes; on 2 cores
 * probes overrun their timeout and agents never turn healthy. So the interval is at least
 * MIN_INTERVAL_MS and keeps the fleet within PROBES_PER_CPU_SECOND probes per host CPU (about
 * 60 % of the host at steady state). Container create/start is not scaled either, hence the
 * waitTimeout floor and margin.
 */
export const MIN_INTERVAL_MS = 1000;
/** Probe execs a host CPU is asked to run per second at most, whatever the scale (see `intervalFloorMs`). */
export const PROBES_PER_CPU_SECOND = 4;
export const MIN_TIMEOUT_MS = 5000;
export const MIN_WAIT_TIMEOUT_MS = 15_000;
export const WAIT_MARGIN_MS = 5000;
/** When the stand-in passes its last stage, as a fraction of its (scaled) first probe interval. */
export const READY_FRACTION = 0.5;

export interface ScaledTiming {
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  retries: number;
  waitTimeoutMs: number;
  /** When the stand-in is ready: startup delay plus model load. */
  startupDelayMs: number;
  modelLoadMs: number;
}

/** "10s", "500ms", "2m", "1h30m" -> milliseconds. */
export function durationMs(text: string | undefined): number {
  if (text === undefined || text === "") return 0;
  let total = 0;
  const pattern = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let consumed = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as "ms" | "s" | "m" | "h"];
    total += Number(match[1]) * unit;
    consumed += match[0].length;
  }
  if (consumed !== text.length) throw new Error(`not a Docker duration: "${text}"`);
  return total;
}

/**
 * The interval floor for a fleet: scaling compresses time but not what a probe costs, so the
 * fleet's probe rate (agents / interval) is kept within PROBES_PER_CPU_SECOND per host CPU, and
 * never below MIN_INTERVAL_MS. 6 agents on 2 CPUs: 1 s; the 35 of mainpc: 4.4 s (1.1 s on 8 CPUs).
 */
export function intervalFloorMs(agents: number, cpus = availableParallelism()): number {
  const floor = (1000 * agents) / (PROBES_PER_CPU_SECOND * Math.max(1, cpus));
  return Math.max(MIN_INTERVAL_MS, Math.ceil(floor / 100) * 100);
}

export function scaledTiming(
  inputs: ContainerInputs,
  scale: number,
  minIntervalMs = MIN_INTERVAL_MS,
): ScaledTiming {
  const health = inputs.healthcheck;
  const intervalMs = Math.max(
    minIntervalMs,
    Math.round(durationMs(health?.interval ?? "30s") * scale),
  );
  const hasModels = env(inputs, "CASCADE_MODEL_CONFIG") !== undefined;
  const readyMs = Math.round(intervalMs * READY_FRACTION);
  const timeoutMs = Math.max(
    MIN_TIMEOUT_MS,
    Math.round(durationMs(health?.timeout ?? "30s") * scale),
  );
  const startPeriodMs = Math.round(durationMs(health?.startPeriod ?? "0s") * scale);
  const retries = health?.retries ?? 3;
  // The program's waitTimeout is the plan's worst case plus a margin; with floored interval and
  // timeout the worst case grows, so the wait covers it (plus the margin for create and start).
  const worstMs = worstCaseMs({ startPeriodMs, retries, intervalMs, timeoutMs });
  return {
    intervalMs,
    timeoutMs,
    startPeriodMs,
    retries,
    waitTimeoutMs: Math.max(
      MIN_WAIT_TIMEOUT_MS,
      Math.round((inputs.waitTimeout ?? 60) * 1000 * scale),
      worstMs + WAIT_MARGIN_MS,
    ),
    startupDelayMs: hasModels ? Math.round(readyMs / 2) : readyMs,
    modelLoadMs: hasModels ? Math.round(readyMs / 2) : 0,
  };
}

/**
 * The planner's worst case with these timings: probes fail through the start period, then each
 * of `retries` probes takes up to interval + timeout, and the last of them passes.
 */
export function worstCaseMs(
  timing: Pick<ScaledTiming, "startPeriodMs" | "retries" | "intervalMs" | "timeoutMs">,
): number {
  return timing.startPeriodMs + timing.retries * (timing.intervalMs + timing.timeoutMs);
}

/**
 * When Docker first sees the stand-in pass with these timings (`firstPassingProbe`): the
 * stand-in is ready after its startup delay and model load.
 */
export function firstPassingProbeMs(
  timing: Pick<ScaledTiming, "intervalMs" | "startupDelayMs" | "modelLoadMs">,
): number {
  return firstPassingProbe(timing.intervalMs, timing.startupDelayMs + timing.modelLoadMs);
}

/**
 * An agent's times as the planner takes them (`AgentTiming`, seconds), under the rehearsal's
 * scaled timings: best the first probe, expected the first probe after the stand-in is ready,
 * worst Docker's limit. Planning a fleet with these predicts what the rehearsal measures.
 */
export function rehearsalTiming(
  inputs: ContainerInputs,
  scale: number,
  minIntervalMs?: number,
): AgentTiming {
  const timing = scaledTiming(inputs, scale, minIntervalMs);
  return {
    bestSeconds: timing.intervalMs / 1000,
    expectedSeconds: firstPassingProbeMs(timing) / 1000,
    worstSeconds: worstCaseMs(timing) / 1000,
  };
}

interface ProbeSpecJson {
  service: string;
  stages: {
    name: string;
    kind: string;
    targets: string[];
    timeout_ms: number;
    critical: boolean;
    deadline_ms?: number;
    interval_ms?: number;
  }[];
}

/** The probe spec inside a cascade-probe healthcheck (`CMD probe --spec-json JSON`), if any. */
export function probeSpecOf(inputs: ContainerInputs): ProbeSpecJson | undefined {
  const tests = inputs.healthcheck?.tests ?? [];
  const at = tests.indexOf("--spec-json");
  if (at < 0 || tests[at + 1] === undefined) return undefined;
  return JSON.parse(tests[at + 1]) as ProbeSpecJson;
}

/**
 * The healthcheck command with its probe stage timeouts shrunk to fit the scaled timeout, and
 * the stages' deadlines and intervals (times from the start, like the start period) scaled.
 */
export function scaledTests(
  inputs: ContainerInputs,
  timing: ScaledTiming,
  scale: number,
): string[] {
  const tests = [...(inputs.healthcheck?.tests ?? ["NONE"])];
  const spec = probeSpecOf(inputs);
  if (!spec) return tests;
  // The probe needs time to start and print; 60% of Docker's timeout goes to the stages.
  const perStage = Math.max(20, Math.floor((timing.timeoutMs * 0.6) / spec.stages.length));
  const times = (ms: number): number => Math.max(1, Math.round(ms * scale));
  const scaled = {
    ...spec,
    stages: spec.stages.map((stage) => ({
      ...stage,
      timeout_ms: perStage,
      ...(stage.deadline_ms === undefined ? {} : { deadline_ms: times(stage.deadline_ms) }),
      ...(stage.interval_ms === undefined ? {} : { interval_ms: times(stage.interval_ms) }),
    })),
  };
  tests[tests.indexOf("--spec-json") + 1] = JSON.stringify(scaled);
  return tests;
}

/**
 * The stand-in's dependencies: the targets of the probe's dependency stages (required ones are
 * critical), named by the agent whose health port they point at.
 */
export function standinDependencies(
  inputs: ContainerInputs,
  agentByPort: ReadonlyMap<string, string>,
): { name: string; url: string; critical: boolean }[] {
  const spec = probeSpecOf(inputs);
  if (!spec) return [];
  return spec.stages
    .filter((stage) => stage.name.startsWith("dependencies_"))
    .flatMap((stage) =>
      stage.targets.map((url) => ({
        name: agentByPort.get(new URL(url).port) ?? new URL(url).host,
        url,
        critical: stage.critical,
      })),
    );
}

export interface CreateContext {
  runId: string;
  scale: number;
  /** The fleet's interval floor (`intervalFloorMs`). */
  minIntervalMs: number;
  image: string;
  /** Health port -> agent name, for the stand-in's dependency names. */
  agentByPort: ReadonlyMap<string, string>;
  /** Volume names as the program registers them -> the rehearsal's volume. */
  volumes: ReadonlyMap<string, string>;
  /** Scenario overrides of the stand-in's environment. */
  extraEnv: Record<string, string>;
}

export function rehearsalName(name: string, runId: string): string {
  return `${name}-${runId}`;
}

/**
 * An agent's provider inputs as the rehearsal runs them: the stand-in image, scaled health
 * timings and probe stages, the stand-in's timing and dependencies in its environment, host
 * networking, CPUs capped at the host's, no GPU request, the run's volume names and label. The
 * rehearsal creates exactly this (`createOptions`); bench/startup hands the same to Compose.
 */
export function rehearsalInputs<T extends ContainerInputs>(inputs: T, context: CreateContext): T {
  const timing = scaledTiming(inputs, context.scale, context.minIntervalMs);
  const dependencies = standinDependencies(inputs, context.agentByPort);
  // The agent's own CASCADE_SERVICE, CASCADE_*_PORT and CASCADE_MODEL_CONFIG stay as the program
  // set them; the stand-in reads the same names. These add its timing and dependencies.
  const standinEnv: Record<string, string> = {
    CASCADE_STARTUP_DELAY_MS: String(timing.startupDelayMs),
    CASCADE_MODEL_LOAD_MS: String(timing.modelLoadMs),
    CASCADE_DEPENDENCIES: JSON.stringify(dependencies),
    CASCADE_DEPENDENCY_INTERVAL_MS: String(Math.max(10, Math.round(timing.intervalMs / 2))),
    CASCADE_DEPENDENCY_TIMEOUT_MS: String(Math.max(50, Math.round(timing.timeoutMs / 2))),
    CASCADE_BREAKER_TIMEOUT_MS: String(Math.max(1000, Math.round(60_000 * context.scale))),
    ...context.extraEnv,
  };
  const hostCpus = availableParallelism();
  const rehearsal = rehearsalLabels(context.runId);
  return {
    ...inputs,
    name: rehearsalName(inputs.name, context.runId),
    image: context.image,
    envs: [
      ...(inputs.envs ?? []).filter((entry) => !(entry.slice(0, entry.indexOf("=")) in standinEnv)),
      ...Object.entries(standinEnv).map(([key, value]) => `${key}=${value}`),
    ],
    labels: [
      ...(inputs.labels ?? []).filter((entry) => !(entry.label in rehearsal)),
      ...Object.entries(rehearsal).map(([label, value]) => ({ label, value })),
    ],
    healthcheck: {
      tests: scaledTests(inputs, timing, context.scale),
      interval: `${timing.intervalMs}ms`,
      timeout: `${timing.timeoutMs}ms`,
      startPeriod: `${timing.startPeriodMs}ms`,
      retries: timing.retries,
    },
    // The daemon runs with --bridge=none: the program's network becomes the host's (127.0.0.1).
    networkMode: "host",
    networksAdvanced: undefined,
    ports: undefined,
    // GPU requests are dropped (no GPU here); CPU limits are capped at the host's CPUs.
    deviceRequests: undefined,
    cpus: inputs.cpus === undefined ? undefined : String(Math.min(Number(inputs.cpus), hostCpus)),
    volumes: inputs.volumes?.map((volume) => ({
      ...volume,
      volumeName: context.volumes.get(volume.volumeName) ?? volume.volumeName,
    })),
    destroyGraceSeconds: 2,
    // The provider's wait (`pulumi up` of the rehearsal's containers, bench/startup).
    waitTimeout: Math.ceil(timing.waitTimeoutMs / 1000),
  };
}

/** The Docker Engine API create body of an agent's rehearsal container. */
export function createOptions(
  agent: RehearsalAgent,
  context: CreateContext,
): Docker.ContainerCreateOptions {
  const inputs = rehearsalInputs(agent.inputs, context);
  const health = inputs.healthcheck!;
  const labels: Record<string, string> = {};
  for (const { label, value } of inputs.labels ?? []) labels[label] = value;
  const ns = (duration: string): number => Math.round(durationMs(duration) * 1_000_000);
  const mb = (megabytes: number | undefined): number | undefined =>
    megabytes === undefined ? undefined : megabytes * 1024 * 1024;
  const restart = inputs.restart ?? "no";
  return {
    name: inputs.name,
    Image: inputs.image,
    Env: inputs.envs,
    Labels: labels,
    User: inputs.user,
    Healthcheck: {
      Test: health.tests,
      Interval: ns(health.interval!),
      Timeout: ns(health.timeout!),
      StartPeriod: ns(health.startPeriod!),
      Retries: health.retries,
    },
    StopTimeout: inputs.destroyGraceSeconds,
    HostConfig: {
      NetworkMode: inputs.networkMode,
      RestartPolicy: {
        Name: restart,
        MaximumRetryCount: restart === "on-failure" ? (inputs.maxRetryCount ?? 0) : 0,
      },
      Mounts: (inputs.volumes ?? []).map((volume) => ({
        Type: "volume" as const,
        Source: volume.volumeName,
        Target: volume.containerPath,
        ReadOnly: volume.readOnly ?? false,
      })),
      ReadonlyRootfs: inputs.readOnly ?? false,
      Tmpfs: inputs.tmpfs,
      SecurityOpt: inputs.securityOpts,
      NanoCpus: inputs.cpus === undefined ? undefined : Math.round(Number(inputs.cpus) * 1e9),
      Memory: mb(inputs.memory),
      MemorySwap: mb(inputs.memorySwap),
      MemoryReservation: mb(inputs.memoryReservation),
    },
  };
}
