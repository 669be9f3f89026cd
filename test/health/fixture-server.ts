import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** What a fixture route answers: a status and body (after an optional delay), or nothing at all. */
export type FixtureAnswer =
  { status: number; delayMs?: number; method?: string; body?: string } | "hang";

export interface FixtureServer {
  port: number;
  url(path: string): string;
  routes: Map<string, FixtureAnswer>;
  /** Requests seen, as "METHOD /path". */
  requests: string[];
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 and an ephemeral port (or `port`) whose routes a test sets.
 * Unknown paths answer 404; a route with `method` answers 405 to other methods.
 */
export async function startFixtureServer(
  routes: Record<string, FixtureAnswer> = {},
  port = 0,
): Promise<FixtureServer> {
  const routeMap = new Map(Object.entries(routes));
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://fixture").pathname;
    requests.push(`${req.method} ${path}`);
    const answer = routeMap.get(path) ?? { status: 404 };
    if (answer === "hang") return;
    const status =
      answer.method !== undefined && answer.method !== req.method ? 405 : answer.status;
    const body =
      status === answer.status ? (answer.body ?? `status ${status}`) : `status ${status}`;
    setTimeout(() => res.writeHead(status).end(body), answer.delayMs ?? 0);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const boundPort = (server.address() as AddressInfo).port;
  return {
    port: boundPort,
    url: (path) => `http://127.0.0.1:${boundPort}${path}`,
    routes: routeMap,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A port nothing listens on (bound then released). */
export async function closedPort(): Promise<number> {
  const server = await startFixtureServer();
  await server.close();
  return server.port;
}
