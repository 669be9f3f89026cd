import { stringify } from "yaml";
import type { Agent, Fleet, HealthModel } from "../../src/fleet/model";
import { SEED_ALERT_THRESHOLDS, SEED_ROLLBACK_POLICY } from "../../src/fleet/defaults";

/** Health timing with the worst case `startPeriod + retries * (interval + timeout)`. */
export function health(timing: Partial<HealthModel> = {}): HealthModel {
  return {
    kind: "http",
    checks: [{ name: "health", method: "GET", port: 8000, path: "/health" }],
    stages: [],
    dependencyChecks: [],
    intervalSeconds: 1,
    timeoutSeconds: 1,
    retries: 1,
    startPeriodSeconds: 0,
    successThreshold: 1,
    failureThreshold: 1,
    ...timing,
  };
}

export interface AgentSketch {
  wave?: number;
  dependsOn?: string[];
  /** Sets the worst case to exactly this many seconds (start period plus one 0 s probe). */
  worst?: number;
  gpu?: boolean;
}

/** A fleet from a sketch: { A: { wave: 1 }, B: { wave: 1, dependsOn: ["A"], worst: 10 } }. */
export function fleetOf(sketch: Record<string, AgentSketch>, waveCount = 0): Fleet {
  const agents: Agent[] = Object.entries(sketch).map(([name, s], i) => ({
    name,
    group: `wave${s.wave ?? 1}`,
    wave: s.wave ?? 1,
    standIn: false,
    image: `test/${name.toLowerCase()}`,
    healthPort: 9000 + i,
    dependsOn: s.dependsOn ?? [],
    critical: false,
    gpu: s.gpu ? { count: 1, deviceIds: [] } : undefined,
    health: health({ intervalSeconds: 0, timeoutSeconds: 0, startPeriodSeconds: s.worst ?? 0 }),
    restart: { condition: "none", delaySeconds: 0, maxAttempts: 0 },
    resources: {},
    security: { readOnlyRootFilesystem: true },
    environment: {},
  }));
  const waves = Math.max(waveCount, ...agents.map((a) => a.wave));
  return {
    host: "test",
    source: "test.yaml",
    waves: Array.from({ length: waves }, (_, i) => ({
      index: i + 1,
      name: `wave_${i + 1}`,
      windowStartSeconds: i * 60,
      windowEndSeconds: (i + 1) * 60,
    })),
    groups: [],
    agents,
    rollbackPolicy: SEED_ROLLBACK_POLICY,
    alertThresholds: SEED_ALERT_THRESHOLDS,
  };
}

/** One agent of a small fleet file: its health port and what else the test needs. */
export interface AgentYaml {
  name: string;
  healthPort: number;
  dependsOn?: string[];
  gpu?: boolean;
  models?: Record<string, unknown>;
  /** Over `{ type: http, endpoint: /health }`. */
  check?: Record<string, string>;
}

export interface GroupYaml {
  wave: "wave_1" | "wave_2";
  critical?: boolean;
  agents: AgentYaml[];
}

/**
 * A small fleet file as text, as a user would write one: waves wave_1 (0-60 s) and wave_2
 * (60-180 s), the given groups, every agent's image `cascade/<name in lower case>`.
 */
export function fleetYaml(host: string, groups: Record<string, GroupYaml>): string {
  return stringify({
    host,
    waves: [
      { name: "wave_1", window: ["0s", "60s"] },
      { name: "wave_2", window: ["60s", "180s"] },
    ],
    groups: Object.fromEntries(
      Object.entries(groups).map(([name, group]) => [
        name,
        {
          wave: group.wave,
          ...(group.critical ? { critical: true } : {}),
          agents: group.agents.map((agent) => ({
            name: agent.name,
            image: `cascade/${agent.name.toLowerCase()}`,
            ports: { health: agent.healthPort },
            ...(agent.dependsOn ? { depends_on: agent.dependsOn } : {}),
            ...(agent.gpu ? { gpu: true } : {}),
            ...(agent.models ? { models: agent.models } : {}),
            health_check: { type: "http", endpoint: "/health", ...agent.check },
          })),
        },
      ]),
    ),
  });
}
