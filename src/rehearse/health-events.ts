import type Docker from "dockerode";

/**
 * Docker's `health_status` events for a set of containers (one label), from a single events
 * stream opened before the first of them is created: dockerd reports each health change the
 * moment it records it, so nothing is polled and nothing is missed. Events are kept per
 * container until taken, so one that arrives before anyone waits for it is not lost.
 */

export interface HealthEvent {
  /** Container id. */
  id: string;
  status: "healthy" | "unhealthy" | "starting";
  /** When dockerd recorded it, wall clock (ms since the epoch). */
  dockerMs: number;
  /** When it reached this process (performance.now()). */
  receivedAt: number;
}

interface DockerEventMessage {
  Type?: string;
  Action?: string;
  id?: string;
  Actor?: { ID?: string };
  timeNano?: number;
}

export class HealthEvents {
  private readonly queued = new Map<string, HealthEvent[]>();
  private readonly waiting = new Map<string, (event: HealthEvent) => void>();
  private failure?: Error;
  private readonly failed: Promise<never>;

  private constructor(
    private readonly stream: NodeJS.ReadableStream,
    private readonly observe?: (event: HealthEvent) => void,
  ) {
    let buffered = "";
    let fail!: (error: Error) => void;
    this.failed = new Promise<never>((_, reject) => (fail = reject));
    this.failed.catch(() => undefined);
    const end = (error: Error): void => {
      this.failure ??= error;
      fail(this.failure);
    };
    stream.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      let newline = buffered.indexOf("\n");
      while (newline >= 0) {
        this.receive(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf("\n");
      }
    });
    stream.on("error", end);
    stream.on("end", () => end(new Error("the Docker events stream ended")));
  }

  /**
   * Subscribes to the health events of the containers carrying `label` ("key=value");
   * `observe` sees every event as it arrives, before it is queued.
   */
  static async open(
    docker: Docker,
    label: string,
    observe?: (event: HealthEvent) => void,
  ): Promise<HealthEvents> {
    const stream = await docker.getEvents({
      filters: { type: ["container"], event: ["health_status"], label: [label] },
    });
    return new HealthEvents(stream, observe);
  }

  /**
   * The container's next health event not taken yet; rejects when the stream fails or with
   * `signal`'s reason when it aborts first.
   */
  next(id: string, signal?: AbortSignal): Promise<HealthEvent> {
    const queue = this.queued.get(id);
    if (queue && queue.length > 0) return Promise.resolve(queue.shift()!);
    if (this.failure) return Promise.reject(this.failure);
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    let onAbort = (): void => undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal!.reason as Error);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    return Promise.race([
      new Promise<HealthEvent>((resolve) => this.waiting.set(id, resolve)),
      this.failed,
      aborted,
    ]).finally(() => {
      this.waiting.delete(id);
      signal?.removeEventListener("abort", onAbort);
    });
  }

  close(): void {
    this.failure ??= new Error("closed");
    (this.stream as unknown as { destroy?: () => void }).destroy?.();
  }

  private receive(line: string): void {
    if (line.trim() === "") return;
    const message = JSON.parse(line) as DockerEventMessage;
    const status = /^health_status: (healthy|unhealthy|starting)$/.exec(message.Action ?? "")?.[1];
    const id = message.Actor?.ID ?? message.id;
    if (!status || !id) return;
    const event: HealthEvent = {
      id,
      status: status as HealthEvent["status"],
      dockerMs: (message.timeNano ?? 0) / 1e6,
      receivedAt: performance.now(),
    };
    this.observe?.(event);
    const waiter = this.waiting.get(id);
    if (waiter) {
      this.waiting.delete(id);
      waiter(event);
    } else {
      const queue = this.queued.get(id) ?? [];
      queue.push(event);
      this.queued.set(id, queue);
    }
  }
}
