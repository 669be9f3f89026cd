/**
 * What a rollout report page shows: the data the page's script (src/report/client) draws. Plain
 * data, no Pulumi, no DOM: built from a plan, a rehearsal or a deploy (from-*.ts) and embedded
 * in the page as JSON. Every time is in seconds on the page's own time axis.
 */

export type ReportKind = "plan" | "rehearsal" | "deploy";

export interface ReportData {
  kind: ReportKind;
  title: string;
  /** One line under the title: stack, ordering, scale. */
  subtitle: string;
  /** What the time axis counts, e.g. "seconds after the first create". */
  timeAxis: string;
  waves: ReportWave[];
  /** Every agent, one Gantt row each. */
  agents: ReportAgent[];
  /**
   * The dependency graph's edges drawn (`from` healthy before `to` starts): the declared ones
   * the ordering does not already imply (`edgesToDraw`); each agent lists all of its own.
   */
  edges: ReportEdge[];
  /** Whether the graph's columns are the waves (the `waves` ordering's barrier). */
  wavesAreBarriers: boolean;
  criticalPath: { label: string; agents: string[] };
  /** Vertical lines across the timeline: the planner's best and worst case, what was measured. */
  marks: ReportMark[];
  verify?: ReportVerify;
  rollback?: ReportRollbackStage[];
  /** Key figures shown under the title, label -> value. */
  figures: [string, string][];
  notes: string[];
}

export interface ReportWave {
  index: number;
  name: string;
  /** The seed's window for the wave, on the page's time axis. */
  windowStart: number;
  windowEnd: number;
}

/** How a bar ended; "planned" for a plan, where nothing ran. */
export type ReportAgentState =
  | "planned"
  | "healthy"
  | "degraded"
  | "unhealthy"
  | "timeout"
  | "exited"
  | "not-started"
  | "running"
  /** A deploy's update left it as it was. */
  | "unchanged"
  /** The engine failed its step. */
  | "failed";

export interface ReportAgent {
  name: string;
  wave: number;
  group: string;
  critical: boolean;
  gpu: boolean;
  /** Its declared dependencies, all of them (the graph may leave implied ones out). */
  dependsOn: string[];
  /**
   * The bar: started (a deploy: created; a plan: may start) to healthy (or failed); absent when
   * it never ran.
   */
  start?: number;
  end?: number;
  state: ReportAgentState;
  /** The planner's best and worst case of when it is healthy, on the same axis. */
  best?: number;
  worst?: number;
  /** More for the tooltip and the table, e.g. restarts or the last health output. */
  detail?: string;
}

export interface ReportEdge {
  from: string;
  to: string;
}

export interface ReportMark {
  label: string;
  seconds: number;
  kind: "best" | "worst" | "measured" | "verify";
}

export interface ReportVerify {
  /** Each verify window: when it opened, how long it is (a rollback verifies again). */
  windows: { label: string; start: number; seconds: number }[];
  /** Per poll, the agents healthy or degraded, of how many; the policy's action when it acted. */
  polls: { at: number; healthy: number; total: number; action?: string }[];
  outcome: string;
}

export interface ReportRollbackStage {
  index: number;
  name: string;
  status: "started" | "done" | "skipped" | "failed";
  detail: string;
  start?: number;
  end?: number;
}
