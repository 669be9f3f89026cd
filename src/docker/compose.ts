import { Document } from "yaml";
import type { ContainerSpec } from "./container-spec";

/**
 * The Docker target's container specs as a Compose file (seed section 4's format), for a host
 * without Pulumi: one service per agent, named after it, with the same image, healthcheck,
 * restart policy, resources, GPU reservations, labels, hardening and network, and `depends_on`
 * with `condition: service_healthy` for exactly the spec's `dependsOn` (the planner's edges, in
 * either ordering). Pure: compose-project.ts writes it and the files it mounts.
 *
 * The files volume the Pulumi seeder fills (probe binary, model configs) becomes a read-only
 * bind mount of a directory next to the Compose file, at the same path in the container
 * (docs/docker-target.md, "Compose").
 */

export interface ComposeOptions {
  /** The files volume's name in the specs, replaced by the bind mount. */
  filesVolume: string;
  /** The directory the compose file mounts in its place, as the file refers to it ("./x"). */
  filesDir: string;
  /** The stack's bridge network; unused when the specs use host networking. */
  network: string;
}

export interface ComposeService {
  container_name: string;
  image: string;
  environment: string[];
  labels: Record<string, string>;
  healthcheck: {
    test: string[];
    interval: string;
    timeout: string;
    retries: number;
    start_period: string;
  };
  restart: string;
  depends_on?: Record<string, { condition: "service_healthy" }>;
  deploy?: { resources: { reservations: { devices: ComposeDevice[] } } };
  cpus?: number;
  mem_limit?: string;
  memswap_limit?: string;
  mem_reservation?: string;
  security_opt: string[];
  read_only: boolean;
  tmpfs?: string[];
  user?: string;
  volumes: { type: "bind"; source: string; target: string; read_only: true }[];
  network_mode?: "host";
  networks?: Record<string, { aliases: string[] }>;
  ports?: string[];
  stop_grace_period: string;
}

export interface ComposeDevice {
  driver: "nvidia";
  capabilities: string[];
  count?: number | "all";
  device_ids?: string[];
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  networks?: Record<string, { name: string; driver: "bridge" }>;
}

/** The key of the stack's network inside the Compose file. */
const NETWORK_KEY = "cascade";

export function composeFile(specs: readonly ContainerSpec[], options: ComposeOptions): ComposeFile {
  const services: Record<string, ComposeService> = {};
  for (const spec of specs) services[spec.agent] = composeService(spec, options);
  const bridged = specs.some((spec) => spec.networkMode !== "host");
  return bridged
    ? { services, networks: { [NETWORK_KEY]: { name: options.network, driver: "bridge" } } }
    : { services };
}

export function composeService(spec: ContainerSpec, options: ComposeOptions): ComposeService {
  const service: ComposeService = {
    container_name: spec.name,
    image: spec.image,
    environment: spec.envs,
    labels: Object.fromEntries(spec.labels.map(({ label, value }) => [label, value])),
    healthcheck: {
      test: spec.healthcheck.tests,
      interval: spec.healthcheck.interval,
      timeout: spec.healthcheck.timeout,
      retries: spec.healthcheck.retries,
      start_period: spec.healthcheck.startPeriod,
    },
    restart: composeRestart(spec),
    security_opt: spec.securityOpts,
    read_only: spec.readOnly,
    volumes: spec.volumes.map((volume) => {
      if (volume.volumeName !== options.filesVolume)
        throw new Error(`${spec.agent}: no bind mount for volume ${volume.volumeName}`);
      return {
        type: "bind",
        source: options.filesDir,
        target: volume.containerPath,
        read_only: true,
      };
    }),
    stop_grace_period: `${spec.destroyGraceSeconds}s`,
  };
  if (spec.dependsOn.length > 0) {
    service.depends_on = Object.fromEntries(
      spec.dependsOn.map((agent) => [agent, { condition: "service_healthy" as const }]),
    );
  }
  if (spec.deviceRequests) {
    service.deploy = { resources: { reservations: { devices: spec.deviceRequests.map(device) } } };
  }
  if (spec.cpus !== undefined) service.cpus = Number(spec.cpus);
  if (spec.memory !== undefined) service.mem_limit = `${spec.memory}m`;
  if (spec.memorySwap !== undefined) service.memswap_limit = `${spec.memorySwap}m`;
  if (spec.memoryReservation !== undefined) service.mem_reservation = `${spec.memoryReservation}m`;
  if (spec.tmpfs) {
    service.tmpfs = Object.entries(spec.tmpfs).map(([path, mode]) => `${path}:${mode}`);
  }
  if (spec.user !== undefined) service.user = spec.user;
  if (spec.networkMode === "host") {
    service.network_mode = "host";
  } else {
    service.networks = { [NETWORK_KEY]: { aliases: spec.networkAliases ?? [] } };
    service.ports = (spec.ports ?? []).map((port) => `${port.external}:${port.internal}`);
  }
  return service;
}

/** Docker's restart policy in Compose's spelling: "no", "always", "on-failure[:N]". */
function composeRestart(spec: Pick<ContainerSpec, "restart" | "maxRetryCount">): string {
  if (spec.restart === "on-failure" && spec.maxRetryCount !== undefined)
    return `on-failure:${spec.maxRetryCount}`;
  return spec.restart;
}

function device(request: NonNullable<ContainerSpec["deviceRequests"]>[number]): ComposeDevice {
  const result: ComposeDevice = { driver: request.driver, capabilities: request.capabilities };
  if (request.deviceIds) result.device_ids = request.deviceIds;
  else if (request.count !== undefined) result.count = request.count < 0 ? "all" : request.count;
  return result;
}

/**
 * The file's text. Written as YAML 1.1, which docker-compose reads: a string that 1.1 would
 * take for something else (`no`, `on`, `1:20`, an agent named `Y`) is quoted. A `$` is
 * written `$$`, or Compose would read a variable (a probe spec or environment value may hold one).
 */
export function renderCompose(file: ComposeFile, header: string): string {
  const document = new Document(escapeDollars(file), { version: "1.1" });
  document.commentBefore = header;
  return document.toString({ lineWidth: 0 });
}

function escapeDollars(value: unknown): unknown {
  if (typeof value === "string") return value.replace(/\$/g, "$$$$");
  if (Array.isArray(value)) return value.map(escapeDollars);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [key, escapeDollars(inner)]),
    );
  }
  return value;
}
