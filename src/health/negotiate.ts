import { httpStatusFor } from "./aggregate";
import { toIetfHealth } from "./ietf-health";
import type { HealthResponse } from "./response";

export const SEED_HEALTH_MEDIA_TYPE = "application/json";
export const IETF_HEALTH_MEDIA_TYPE = "application/health+json";

type HealthMediaType = typeof SEED_HEALTH_MEDIA_TYPE | typeof IETF_HEALTH_MEDIA_TYPE;

export interface RenderedHealth {
  statusCode: 200 | 503;
  contentType: string;
  body: string;
}

/**
 * Picks the representation the client prefers by the q-values of its Accept header. A health
 * endpoint must not fail a probe over headers, so anything else (no header, *\/*, or an
 * unsupported type) gets the seed's format rather than 406.
 */
export function chooseHealthMediaType(accept: string | undefined): HealthMediaType {
  if (!accept) return SEED_HEALTH_MEDIA_TYPE;
  const weights = new Map<string, number>();
  for (const range of accept.split(",")) {
    const [type = "", ...params] = range.split(";").map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith("q="));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    weights.set(type, Number.isNaN(weight) ? 0 : weight);
  }
  const weightOf = (mediaType: HealthMediaType): number =>
    weights.get(mediaType) ?? weights.get("application/*") ?? weights.get("*/*") ?? 0;
  return weightOf(IETF_HEALTH_MEDIA_TYPE) > weightOf(SEED_HEALTH_MEDIA_TYPE)
    ? IETF_HEALTH_MEDIA_TYPE
    : SEED_HEALTH_MEDIA_TYPE;
}

export function renderHealth(response: HealthResponse, accept: string | undefined): RenderedHealth {
  const mediaType = chooseHealthMediaType(accept);
  const body = mediaType === IETF_HEALTH_MEDIA_TYPE ? toIetfHealth(response) : response;
  return {
    statusCode: httpStatusFor(response.status),
    contentType: `${mediaType}; charset=utf-8`,
    body: JSON.stringify(body),
  };
}
