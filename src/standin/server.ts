import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { renderHealth } from "../health/negotiate";
import { StandinAgent } from "./agent";
import type { StandinConfig } from "./config";
import { UnknownModelError } from "./model-cache";

/** Sub-checks of composite health models (seed §1.2) that the stand-in pretends to have. */
const SIMULATED_SUB_CHECKS = ["db", "redis", "registry"];
const HEALTH_CHECK_TYPES = new Set([
  "health",
  "startup",
  "models",
  "ready",
  ...SIMULATED_SUB_CHECKS,
]);

export interface RunningStandin {
  agent: StandinAgent;
  /** The ports actually bound (differs from the config when it asked for port 0). */
  ports: number[];
  stop(): Promise<void>;
}

export type Logger = (event: string, fields?: object) => void;

/**
 * Starts a stand-in agent: its startup sequence, then its ports once the listen delay has
 * passed. Delays count from `startedAt` (epoch ms), the process start in main.ts.
 */
export async function startStandin(
  config: StandinConfig,
  log: Logger,
  startedAt = Date.now(),
): Promise<RunningStandin> {
  const agent = new StandinAgent(config, log, startedAt);
  agent.begin();
  const listenIn = startedAt + config.listenDelayMs - Date.now();
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, listenIn)));
  const servers = await Promise.all(config.ports.map((port) => listen(port, config, agent)));
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  log("listening", { address: config.bindAddress, ports });
  return {
    agent,
    ports,
    stop: async () => {
      agent.stop();
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
    },
  };
}

function listen(port: number, config: StandinConfig, agent: StandinAgent): Promise<Server> {
  const server = createServer((req, res) => {
    if (config.misbehaviour.hang) return;
    const started = performance.now();
    // Health checks and scrapes are not traffic: they would make a starting agent look like
    // failing requests.
    if (!req.url?.startsWith("/health") && !req.url?.startsWith("/metrics")) {
      res.once("finish", () => {
        agent.requests.record(res.statusCode, performance.now() - started);
        agent.metrics.requests.inc({
          service: config.service.name,
          outcome: res.statusCode >= 500 ? "error" : "ok",
        });
      });
    }
    setTimeout(() => {
      route(req, res, config, agent).catch((error: unknown) => {
        sendJson(res, 500, { error: error instanceof Error ? error.message : String(error) });
      });
    }, config.misbehaviour.responseDelayMs);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, config.bindAddress, () => resolve(server));
  });
}

async function route(
  req: IncomingMessage,
  res: ServerResponse,
  config: StandinConfig,
  agent: StandinAgent,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://standin");
  const method = req.method === "HEAD" ? "GET" : req.method;
  const path = url.pathname;
  const service = config.service.name;

  if (method === "GET" && path.startsWith("/health")) {
    const requested = path === "/health" ? "health" : path.slice("/health/".length);
    const checkType = HEALTH_CHECK_TYPES.has(requested) ? requested : "other";
    const timer = agent.metrics.healthCheckDuration.startTimer({ service, check_type: checkType });
    try {
      routeHealth(req, res, path, config, agent);
    } finally {
      timer();
    }
    return;
  }
  if (method === "POST" && path === "/register/test") {
    return agent.isStarted()
      ? sendJson(res, 200, { registered: "test" })
      : sendJson(res, 503, { error: "registry is starting" });
  }
  const modelLoad = /^\/models\/([^/]+)\/load$/.exec(path);
  if (method === "POST" && modelLoad?.[1] !== undefined) {
    return useModel(res, agent, decodeURIComponent(modelLoad[1]), {});
  }
  if (method === "GET" && path === "/infer") {
    const model = url.searchParams.get("model");
    if (model === null) return sendJson(res, 400, { error: "missing ?model=" });
    return useModel(res, agent, model, { output: `stand-in answer from ${model}` });
  }
  if (method === "GET" && path === "/metrics") {
    res.writeHead(200, { "content-type": agent.metrics.registry.contentType });
    res.end(await agent.metrics.registry.metrics());
    return;
  }
  sendJson(res, 404, { error: `no route for ${req.method} ${path}` });
}

function routeHealth(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  config: StandinConfig,
  agent: StandinAgent,
): void {
  const passFail = (passed: boolean, body: object): void => sendJson(res, passed ? 200 : 503, body);
  switch (path) {
    case "/health": {
      const rendered = renderHealth(agent.health(), req.headers.accept);
      res.writeHead(rendered.statusCode, { "content-type": rendered.contentType });
      res.end(rendered.body);
      return;
    }
    case "/health/startup":
      return passFail(agent.isStarted(), { started: agent.isStarted() });
    case "/health/models":
      return passFail(agent.models.preloadDone(), { loaded: agent.models.loadedModels() });
    case "/health/ready":
      return passFail(agent.isReady(), { ready: agent.isReady() });
  }
  const subCheck = path.slice("/health/".length);
  if (config.misbehaviour.failingChecks.includes(subCheck)) {
    return passFail(false, {
      check: subCheck,
      connected: false,
      error: "failing (CASCADE_FAILING_CHECKS)",
    });
  }
  if (SIMULATED_SUB_CHECKS.includes(subCheck)) {
    return passFail(agent.isStarted(), { check: subCheck, connected: agent.isStarted() });
  }
  sendJson(res, 404, { error: `no health check ${subCheck}` });
}

async function useModel(
  res: ServerResponse,
  agent: StandinAgent,
  model: string,
  extra: object,
): Promise<void> {
  try {
    await agent.models.use(model);
    sendJson(res, 200, { model, loaded: agent.models.loadedModels(), ...extra });
  } catch (error) {
    if (error instanceof UnknownModelError) return sendJson(res, 404, { error: error.message });
    throw error;
  }
}

function sendJson(res: ServerResponse, statusCode: number, body: object): void {
  res.writeHead(statusCode, { "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}
