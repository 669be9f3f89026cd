import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { dnsName } from "../targets/names";
import type { AgentObservation } from "./policy";
import { ObservationError, type ObservationSource, type VerifyTarget } from "./verifier";

/**
 * The verify window's observation source for `target: kubernetes`: instead of requesting each
 * agent's health URL (cluster-internal, unreachable from where cascade runs), it asks the
 * Kubernetes API how the agent's Deployment stands. The pods' readiness probe is the agent's own
 * health check (src/kubernetes/probes.ts), so "rolled out and Available" is "healthy".
 *
 * An agent is healthy when its Deployment has rolled out its current spec completely
 * (`kubectl rollout status` semantics: observedGeneration caught up, every replica updated and
 * available, no old replica left) and its Available condition is True. Anything else is
 * unhealthy: with maxUnavailable 0 the old pod keeps a Deployment Available while the new one
 * never gets Ready, so Available alone would pass a failed rollout. A missing Deployment (404) is
 * "unreachable" (not deployed at all). When the API itself does not answer, the source throws an
 * ObservationError, so the verifier's circuit breaker counts it as a failed check.
 */

/** The one API call the source needs; injected so tests answer with fakes. */
export interface KubeApi {
  get(apiPath: string): Promise<{ status: number; body: unknown }>;
}

interface DeploymentStatus {
  metadata?: { generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    readyReplicas?: number;
    conditions?: { type: string; status: string; reason?: string }[];
  };
}

export function kubernetesReadiness(api: KubeApi, namespace: string): ObservationSource {
  return async (target: VerifyTarget): Promise<AgentObservation> => {
    const name = dnsName(target.name);
    const apiPath = `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/deployments/${name}`;
    const response = await api.get(apiPath).catch((error: Error) => {
      throw new ObservationError(`GET ${apiPath}: ${error.message}`, { cause: error });
    });
    if (response.status === 404) return { agent: target.name, outcome: "unreachable" };
    if (response.status !== 200) {
      throw new ObservationError(`GET ${apiPath}: HTTP ${response.status}`);
    }
    return {
      agent: target.name,
      outcome: deploymentReady(response.body as DeploymentStatus) ? "healthy" : "unhealthy",
    };
  };
}

/** Rolled out completely and Available; see the module comment. */
export function deploymentReady(deployment: DeploymentStatus): boolean {
  const status = deployment.status ?? {};
  const wanted = deployment.spec?.replicas ?? 1;
  const generation = deployment.metadata?.generation ?? 0;
  const available = status.conditions?.find((c) => c.type === "Available")?.status === "True";
  const progressing = status.conditions?.find((c) => c.type === "Progressing");
  if (progressing?.reason === "ProgressDeadlineExceeded") return false;
  return (
    available &&
    (status.observedGeneration ?? 0) >= generation &&
    (status.updatedReplicas ?? 0) >= wanted &&
    (status.replicas ?? 0) <= (status.updatedReplicas ?? 0) &&
    (status.availableReplicas ?? 0) >= wanted
  );
}

/** Where and how to reach the API server, from a kubeconfig. */
export interface KubeEndpoint {
  server: URL;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
  insecureSkipTlsVerify: boolean;
}

interface KubeconfigFile {
  "current-context"?: string;
  contexts?: { name: string; context: { cluster: string; user?: string } }[];
  clusters?: {
    name: string;
    cluster: {
      server: string;
      "certificate-authority"?: string;
      "certificate-authority-data"?: string;
      "insecure-skip-tls-verify"?: boolean;
    };
  }[];
  users?: {
    name: string;
    user?: {
      token?: string;
      tokenFile?: string;
      "client-certificate"?: string;
      "client-certificate-data"?: string;
      "client-key"?: string;
      "client-key-data"?: string;
      exec?: unknown;
      "auth-provider"?: unknown;
    };
  }[];
}

/** The kubeconfig file the Kubernetes provider reads: $KUBECONFIG (first entry), else ~/.kube/config. */
export function kubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const first = (env.KUBECONFIG ?? "").split(path.delimiter).find((entry) => entry.length > 0);
  return first ?? path.join(os.homedir(), ".kube", "config");
}

/**
 * The API endpoint of `context` (default: the current context) in a kubeconfig's text. Supports
 * what static kubeconfigs use: a CA (file or data) or insecure-skip-tls-verify, and a bearer token
 * (inline or tokenFile) or a client certificate and key (file or data). exec and auth-provider
 * plugins are not run: verify with a kubeconfig that carries credentials.
 */
export function kubeEndpoint(text: string, file: string, context?: string): KubeEndpoint {
  const config = (parseYaml(text) ?? {}) as KubeconfigFile;
  const contextName = context ?? config["current-context"];
  if (!contextName) throw new Error(`${file}: no context given and no current-context`);
  const ctx = config.contexts?.find((c) => c.name === contextName)?.context;
  if (!ctx) throw new Error(`${file}: no context "${contextName}"`);
  const cluster = config.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster?.server) throw new Error(`${file}: context "${contextName}" has no cluster server`);
  const user = config.users?.find((u) => u.name === ctx.user)?.user ?? {};
  if (user.exec !== undefined || user["auth-provider"] !== undefined) {
    throw new Error(
      `${file}: user "${ctx.user}" authenticates with an exec or auth-provider plugin, which cascade's verifier does not run; use a kubeconfig with a token or a client certificate`,
    );
  }
  const dir = path.dirname(file);
  const read = (data: string | undefined, ref: string | undefined): Buffer | undefined => {
    if (data) return Buffer.from(data, "base64");
    if (ref) return fs.readFileSync(path.resolve(dir, ref));
    return undefined;
  };
  const tokenFile = user.tokenFile
    ? fs.readFileSync(path.resolve(dir, user.tokenFile), "utf8").trim()
    : undefined;
  return {
    server: new URL(cluster.server),
    ca: read(cluster["certificate-authority-data"], cluster["certificate-authority"]),
    cert: read(user["client-certificate-data"], user["client-certificate"]),
    key: read(user["client-key-data"], user["client-key"]),
    token: user.token ?? tokenFile,
    insecureSkipTlsVerify: cluster["insecure-skip-tls-verify"] === true,
  };
}

/** A KubeApi over node's https with the endpoint's credentials; each GET times out. */
export function httpsKubeApi(endpoint: KubeEndpoint, timeoutMs = 5_000): KubeApi {
  return {
    get: (apiPath) =>
      new Promise((resolve, reject) => {
        const request = https.request(
          {
            protocol: endpoint.server.protocol,
            host: endpoint.server.hostname,
            port: endpoint.server.port || undefined,
            path: `${endpoint.server.pathname.replace(/\/$/, "")}${apiPath}`,
            method: "GET",
            ca: endpoint.ca,
            cert: endpoint.cert,
            key: endpoint.key,
            rejectUnauthorized: !endpoint.insecureSkipTlsVerify,
            headers: {
              accept: "application/json",
              ...(endpoint.token ? { authorization: `Bearer ${endpoint.token}` } : {}),
            },
            timeout: timeoutMs,
          },
          (response) => {
            let text = "";
            response.setEncoding("utf8");
            response.on("data", (chunk: string) => (text += chunk));
            response.on("end", () => {
              let body: unknown;
              try {
                body = JSON.parse(text);
              } catch {
                body = text;
              }
              resolve({ status: response.statusCode ?? 0, body });
            });
            response.on("error", reject);
          },
        );
        request.on("timeout", () => request.destroy(new Error(`GET ${apiPath}: timed out`)));
        request.on("error", reject);
        request.end();
      }),
  };
}

/** The readiness source for a stack's settings, on the kubeconfig the Kubernetes provider uses. */
export function kubernetesReadinessForStack(
  settings: { kubeContext?: string; namespace: string },
  env: NodeJS.ProcessEnv = process.env,
): ObservationSource {
  const file = kubeconfigPath(env);
  const endpoint = kubeEndpoint(fs.readFileSync(file, "utf8"), file, settings.kubeContext);
  return kubernetesReadiness(httpsKubeApi(endpoint), settings.namespace);
}
