import type { AgentState, AgentTimeline, ProgressEvent } from "./bringup";

/**
 * Live progress while the fleet comes up, on stderr (stdout keeps the report, or --json). On a
 * TTY: a header (elapsed time, counts, what is happening) and one line per wave, redrawn in
 * place several times a second; a wave whose agents do not fit the width is summarised as
 * "12/19 healthy, waiting on X, Y". Otherwise one plain line per state change, and a line
 * saying what it waits on after a few quiet seconds, for logs and CI.
 */
export interface Progress {
  onEvent(event: ProgressEvent): void;
  finish(): void;
}

const SYMBOL: Record<AgentState, string> = {
  waiting: "·",
  creating: "+",
  starting: "…",
  healthy: "✓",
  degraded: "~",
  unhealthy: "✗",
  timeout: "✗",
  exited: "✗",
  "not-started": "-",
};

/** Redraws per second on a TTY, so the clock moves while nothing changes. */
const REDRAW_MS = 250;
/** Without a TTY, a line saying what it waits on after this long without one. */
export const QUIET_LINE_MS = 5000;

export function createProgress(stream: NodeJS.WriteStream, quietLineMs = QUIET_LINE_MS): Progress {
  return stream.isTTY ? new TtyProgress(stream) : new PlainProgress(stream, quietLineMs);
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)}s`.padStart(8);
const isUp = (state: AgentState): boolean => state === "healthy" || state === "degraded";
const isDone = (state: AgentState): boolean =>
  isUp(state) || ["unhealthy", "timeout", "exited", "not-started"].includes(state);

/** The agents being waited on, the ones furthest along first: "Core (starting)". */
function waitingOn(agents: AgentTimeline[]): string[] {
  const order: AgentState[] = ["starting", "creating", "waiting"];
  return agents
    .filter((agent) => !isDone(agent.state))
    .sort((a, b) => order.indexOf(a.state) - order.indexOf(b.state))
    .map((agent) => `${agent.agent} (${agent.state})`);
}

/** "a, b, c +4 more", as much of `items` as fits in `width` characters. */
export function fitList(items: string[], width: number): string {
  let text = "";
  for (let i = 0; i < items.length; i++) {
    const more = i < items.length - 1 ? ` +${items.length - i - 1} more` : "";
    const next = text ? `${text}, ${items[i]}` : items[i];
    if ((next + more).length > width) return text ? `${text} +${items.length - i} more` : "…";
    text = next;
  }
  return text;
}

/** Counts of the whole fleet: "12/35 healthy, 3 starting, 1 creating". */
function counts(agents: AgentTimeline[]): string {
  const up = agents.filter((agent) => isUp(agent.state)).length;
  const by = new Map<AgentState, number>();
  for (const agent of agents)
    if (!isUp(agent.state)) by.set(agent.state, (by.get(agent.state) ?? 0) + 1);
  const rest = [...by].map(([state, count]) => `${count} ${state}`);
  return [`${up}/${agents.length} healthy`, ...rest].join(", ");
}

class PlainProgress implements Progress {
  private readonly agents = new Map<string, AgentTimeline>();
  private quiet: NodeJS.Timeout | undefined;
  private at = 0;
  private since = performance.now();

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly quietLineMs: number,
  ) {}

  onEvent(event: ProgressEvent): void {
    this.at = event.at;
    this.since = performance.now();
    if (event.kind === "phase") {
      this.write(`${seconds(event.at)}  ${event.message}`);
    } else if (event.kind === "fleet") {
      for (const agent of event.agents) this.agents.set(agent.agent, agent);
      const waves = new Set(event.agents.map((agent) => agent.wave)).size;
      this.write(
        `${seconds(event.at)}  ${event.agents.length} agents in ${waves} waves, all waiting`,
      );
      this.quiet ??= setInterval(() => this.quietLine(), this.quietLineMs / 5).unref();
    } else {
      const { agent } = event;
      this.agents.set(agent.agent, agent);
      const detail = event.detail ? ` (${event.detail})` : "";
      this.write(
        `${seconds(event.at)}  wave ${agent.wave}  ${agent.agent.padEnd(30)} ${agent.state}${detail}`,
      );
    }
  }

  finish(): void {
    clearInterval(this.quiet);
    this.quiet = undefined;
  }

  private quietLine(): void {
    const quietFor = performance.now() - this.since;
    const agents = [...this.agents.values()];
    const waiting = waitingOn(agents);
    if (quietFor < this.quietLineMs || waiting.length === 0) return;
    this.since = performance.now();
    this.write(
      `${seconds(this.at + quietFor)}  ${counts(agents)}; waiting on ${fitList(waiting, 100)}`,
    );
  }

  private write(line: string): void {
    this.stream.write(`${line}\n`);
  }
}

class TtyProgress implements Progress {
  private readonly agents = new Map<string, AgentTimeline>();
  private lines = 0;
  /** The last event's time, and when it arrived: the clock runs on from there. */
  private at = 0;
  private atWall = performance.now();
  private phase = "";
  private phaseIsNewest = false;
  private ticker: NodeJS.Timeout | undefined;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  onEvent(event: ProgressEvent): void {
    this.at = event.at;
    this.atWall = performance.now();
    if (event.kind === "phase") {
      this.phase = event.message;
      this.phaseIsNewest = true;
    } else {
      const agents = event.kind === "fleet" ? event.agents : [event.agent];
      for (const agent of agents) this.agents.set(agent.agent, agent);
      // A phase ("uploading files") is over once agents move.
      this.phaseIsNewest = false;
    }
    this.ticker ??= setInterval(() => this.draw(), REDRAW_MS).unref();
  }

  finish(): void {
    clearInterval(this.ticker);
    this.ticker = undefined;
    this.draw();
  }

  private draw(): void {
    const width = Math.max(40, (this.stream.columns ?? 100) - 1);
    const agents = [...this.agents.values()];
    const elapsed = this.at + performance.now() - this.atWall;
    const doing = this.phaseIsNewest || agents.length === 0 ? this.phase : counts(agents);
    const out = [`rehearsal ${seconds(elapsed).trim()}  ${doing}`.slice(0, width)];
    const waves = new Map<number, AgentTimeline[]>();
    for (const agent of agents) waves.set(agent.wave, [...(waves.get(agent.wave) ?? []), agent]);
    for (const [wave, members] of [...waves.entries()].sort(([a], [b]) => a - b))
      out.push(waveLine(wave, members, width));
    const up = this.lines > 0 ? `\x1b[${this.lines}A` : "";
    this.stream.write(`${up}${out.map((line) => `\x1b[2K${line}`).join("\n")}\n`);
    this.lines = out.length;
  }
}

/** One wave: every agent with its state when they fit in `width`, else a summary that does. */
export function waveLine(wave: number, agents: AgentTimeline[], width: number): string {
  const up = agents.filter((agent) => isUp(agent.state)).length;
  const head = `wave ${wave} [${up}/${agents.length}]`;
  const full = `${head} ${agents.map((a) => `${SYMBOL[a.state]} ${a.agent}`).join("  ")}`;
  if (full.length <= width) return full;
  const failed = agents
    .filter((agent) => isDone(agent.state) && !isUp(agent.state))
    .map((agent) => `${agent.agent} (${agent.state})`);
  const waiting = waitingOn(agents);
  const start = failed.length > 0 ? `${head} failed: ${failed.join(", ")};` : head;
  if (waiting.length === 0)
    return `${start}${failed.length > 0 ? "" : " all healthy"}`.slice(0, width);
  const room = width - start.length - " waiting on ".length;
  return `${start} waiting on ${fitList(waiting, room)}`.slice(0, width);
}
