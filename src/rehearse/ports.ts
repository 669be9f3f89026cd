import type Docker from "dockerode";
import { createServer } from "node:net";
import { env, type RehearsalFleet } from "./specs";

/**
 * The ports the stand-ins will listen on (host networking, 127.0.0.1), checked before anything
 * is created: a port already in use would make that agent's stand-in fail at start, which the
 * rollout would only report as "not healthy" after its whole wait.
 */

export interface TakenPort {
  port: number;
  agent: string;
  kind: "service" | "health";
  /** The container on the engine that listens on it, when one does (host networking). */
  heldBy?: string;
}

const PORT_ENV = { service: "CASCADE_SERVICE_PORT", health: "CASCADE_HEALTH_PORT" } as const;

export async function takenPorts(fleet: RehearsalFleet, docker: Docker): Promise<TakenPort[]> {
  const wanted = new Map<number, Omit<TakenPort, "port">>();
  for (const agent of fleet.agents)
    for (const kind of ["service", "health"] as const) {
      const port = Number(env(agent.inputs, PORT_ENV[kind]));
      if (Number.isInteger(port) && port > 0 && !wanted.has(port))
        wanted.set(port, { agent: agent.name, kind });
    }
  const checks = [...wanted].map(async ([port, use]) =>
    (await inUse(port)) ? [{ port, ...use }] : [],
  );
  const taken = (await Promise.all(checks)).flat();
  if (taken.length > 0) await nameHolders(taken, docker);
  return taken;
}

/** Whether something already listens on 127.0.0.1:port. */
function inUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "EADDRINUSE"));
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () =>
      server.close(() => resolve(false)),
    );
  });
}

/** Names the host-network containers whose CASCADE_*_PORT is a taken port. */
async function nameHolders(taken: TakenPort[], docker: Docker): Promise<void> {
  const byPort = new Map(taken.map((entry) => [String(entry.port), entry]));
  const running = await docker.listContainers({ filters: { network: ["host"] } });
  for (const info of running.slice(0, 200)) {
    const inspected = await docker
      .getContainer(info.Id)
      .inspect()
      .catch(() => undefined);
    for (const entry of inspected?.Config.Env ?? []) {
      const [key, value] = [
        entry.slice(0, entry.indexOf("=")),
        entry.slice(entry.indexOf("=") + 1),
      ];
      const port = byPort.get(value);
      if (port && Object.values(PORT_ENV).includes(key as never))
        port.heldBy ??= inspected!.Name.replace(/^\//, "");
    }
  }
}

export function takenPortsMessage(taken: TakenPort[]): string {
  const shown = taken
    .slice(0, 6)
    .map(
      (entry) =>
        `${entry.port} (${entry.agent}'s ${entry.kind} port${entry.heldBy ? `, held by container ${entry.heldBy}` : ""})`,
    );
  const more = taken.length > shown.length ? ` and ${taken.length - shown.length} more` : "";
  const holders = [...new Set(taken.flatMap((entry) => (entry.heldBy ? [entry.heldBy] : [])))];
  const fix =
    holders.length > 0
      ? `stop what holds them (e.g. docker stop ${holders.slice(0, 3).join(" ")}) and run this again`
      : "stop what listens on them (ss -ltnp shows it) and run this again";
  return `ports the stand-ins listen on are in use: ${shown.join(", ")}${more}; nothing was created: ${fix}`;
}
