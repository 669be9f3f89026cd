import type { AgentTimeline, ProgressEvent } from "./bringup";

/**
 * Live progress while the fleet comes up. On a TTY: one block per wave, redrawn in place
 * (agents and their state); otherwise one plain line per state change, for logs and CI.
 */
export interface Progress {
  onEvent(event: ProgressEvent): void;
  finish(): void;
}

const SYMBOL: Record<string, string> = {
  waiting: "·",
  creating: "+",
  starting: "…",
  healthy: "✓",
  degraded: "~",
  unhealthy: "✗",
  timeout: "✗",
  "not-created": "-",
};

export function createProgress(stream: NodeJS.WriteStream, quiet: boolean): Progress {
  if (quiet) return { onEvent: () => undefined, finish: () => undefined };
  return stream.isTTY ? new TtyProgress(stream) : new PlainProgress(stream);
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)}s`.padStart(8);

class PlainProgress implements Progress {
  constructor(private readonly stream: NodeJS.WritableStream) {}
  onEvent(event: ProgressEvent): void {
    if (event.kind === "phase") {
      this.stream.write(`${seconds(event.at)}  ${event.message}\n`);
      return;
    }
    if (event.kind === "fleet") {
      const waves = new Set(event.agents.map((agent) => agent.wave)).size;
      this.stream.write(
        `${seconds(event.at)}  ${event.agents.length} agents in ${waves} waves, all waiting\n`,
      );
      return;
    }
    const { agent } = event;
    const detail = event.detail ? ` (${event.detail})` : "";
    this.stream.write(
      `${seconds(event.at)}  wave ${agent.wave}  ${agent.agent.padEnd(30)} ${agent.state}${detail}\n`,
    );
  }
  finish(): void {}
}

class TtyProgress implements Progress {
  private readonly agents = new Map<string, AgentTimeline>();
  private lines = 0;
  private last = 0;
  private message = "";
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly stream: NodeJS.WriteStream) {}

  onEvent(event: ProgressEvent): void {
    this.last = event.at;
    if (event.kind === "phase") this.message = event.message;
    else if (event.kind === "fleet")
      for (const agent of event.agents) this.agents.set(agent.agent, agent);
    else this.agents.set(event.agent.agent, event.agent);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, 100);
  }

  finish(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.draw();
  }

  private draw(): void {
    const waves = new Map<number, AgentTimeline[]>();
    for (const agent of this.agents.values())
      waves.set(agent.wave, [...(waves.get(agent.wave) ?? []), agent]);
    const width = this.stream.columns ?? 100;
    const out: string[] = [`rehearsal ${seconds(this.last).trim()}  ${this.message}`];
    for (const [wave, agents] of [...waves.entries()].sort(([a], [b]) => a - b)) {
      const healthy = agents.filter((a) => a.state === "healthy" || a.state === "degraded").length;
      const cells = agents.map((a) => `${SYMBOL[a.state] ?? "?"} ${a.agent}`).join("  ");
      out.push(`wave ${wave} [${healthy}/${agents.length}] ${cells}`.slice(0, width - 1));
    }
    const up = this.lines > 0 ? `\x1b[${this.lines}A` : "";
    this.stream.write(`${up}${out.map((line) => `\x1b[2K${line}`).join("\n")}\n`);
    this.lines = out.length;
  }
}
