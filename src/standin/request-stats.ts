/** Request counters behind the `metrics` block of the standard health response. */
export class RequestStats {
  private requests = 0;
  private errors = 0;
  private totalLatencyMs = 0;

  record(statusCode: number, latencyMs: number): void {
    this.requests += 1;
    if (statusCode >= 500) this.errors += 1;
    this.totalLatencyMs += latencyMs;
  }

  summary(uptimeSeconds: number) {
    return {
      requests_per_second: uptimeSeconds > 0 ? round(this.requests / uptimeSeconds) : 0,
      error_rate: this.requests > 0 ? round(this.errors / this.requests) : 0,
      average_latency_ms: this.requests > 0 ? round(this.totalLatencyMs / this.requests) : 0,
    };
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
