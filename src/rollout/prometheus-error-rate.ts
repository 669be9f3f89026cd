import { METRIC_NAMES, SCRAPE_INTERVAL_SECONDS } from "../health/metric-names";
import type { ErrorRateSource } from "./verifier";

/**
 * The verify window's request error rate from the stack's Prometheus (when monitoring runs): the
 * share of the requests the agents served inside the window that failed, from the counter every
 * agent exports (`cascade_requests_total{service,outcome}`, outcome "error" for a 5xx answer).
 *
 *   rate = Σ rise(series with outcome="error") / Σ rise(every series)
 *
 * where a series' rise is the sum of its increases between consecutive samples taken in
 * [window start − one scrape interval, now] (the extra interval gives the first rise a sample
 * from before the window to start from), and a drop is a restart of the agent, after which the
 * new value is all rise. The samples come from one range query (`cascade_requests_total[Rs]`);
 * PromQL's `increase` is not used because it extrapolates each series to the range's ends by a
 * different amount (it stops at zero for a counter that starts at 0), which skews the ratio.
 * No request in the window (0 / 0), no answer or an error from Prometheus: no data, and the
 * policy takes the agents' reported rates instead.
 */

export interface PrometheusErrorRateOptions {
  /** The Prometheus scrape interval; default the one cascade configures. */
  scrapeIntervalSeconds?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export function errorRateQuery(rangeSeconds: number): string {
  return `${METRIC_NAMES.requests}[${rangeSeconds}s]`;
}

interface Series {
  metric?: { outcome?: string };
  values?: [number, string][];
}

interface QueryResponse {
  status?: string;
  data?: { resultType?: string; result?: Series[] };
}

export function prometheusErrorRate(
  baseUrl: string,
  options: PrometheusErrorRateOptions = {},
): ErrorRateSource {
  const doFetch = options.fetch ?? fetch;
  const scrape = options.scrapeIntervalSeconds ?? SCRAPE_INTERVAL_SECONDS;
  return async ({ startMs, atMs }) => {
    const range = Math.ceil(Math.max(0, atMs - startMs) / 1000) + scrape;
    const url = new URL("/api/v1/query", baseUrl);
    url.searchParams.set("query", errorRateQuery(range));
    url.searchParams.set("time", String(atMs / 1000));
    let body: QueryResponse;
    try {
      const response = await doFetch(url, {
        signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
      });
      if (!response.ok) return undefined;
      body = (await response.json()) as QueryResponse;
    } catch {
      return undefined;
    }
    if (body.status !== "success" || body.data?.resultType !== "matrix") return undefined;
    let errors = 0;
    let requests = 0;
    for (const series of body.data.result ?? []) {
      const rise = counterRise((series.values ?? []).map(([, value]) => Number(value)));
      requests += rise;
      if (series.metric?.outcome === "error") errors += rise;
    }
    return requests > 0 ? { rate: errors / requests, source: "prometheus" } : undefined;
  };
}

/** How much a counter rose over its samples; after a drop (a restart) it counts from 0. */
export function counterRise(values: readonly number[]): number {
  let rise = 0;
  for (let i = 1; i < values.length; i++) {
    const step = values[i] - values[i - 1];
    rise += step >= 0 ? step : values[i];
  }
  return rise;
}
