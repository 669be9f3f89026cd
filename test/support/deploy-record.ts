import * as path from "node:path";
import { loadFleet } from "../../src/fleet/loader";
import { planFleet } from "../../src/fleet/planner";
import type { RollbackStage } from "../../src/fleet/model";
import type { RolloutEvent, StageRef } from "../../src/rollout/events";
import type { Poll, Trigger } from "../../src/rollout/policy";
import type { ResourceStep } from "../../src/rollout/workspace";
import type { DeployRecord } from "../../src/report/from-deploy";

/**
 * What `cascade deploy --report` records of a deploy of the rehearsal fixture fleet whose verify
 * window triggers a rollback: steps of containers (and one Deployment) created, replaced and
 * failed, left as they were, or never reached; two polls; three rollback stages. Times in seconds
 * after T0.
 */

export const fleet = loadFleet(path.join(__dirname, "../rehearse/fixtures/fleet.yaml"));
export const plan = planFleet(fleet, "waves");
export const T0 = 1_700_000_000_000;
const TYPE = "cascade:docker:Fleet$cascade:docker:AgentGroup";
const containerUrn = (group: string, agent: string) =>
  `urn:pulumi:s::cascade::${TYPE}$docker:index/container:Container::${group}-${agent}`;
const deploymentUrn = (group: string, agent: string) =>
  `urn:pulumi:s::cascade::cascade:kubernetes:AgentGroup$kubernetes:apps/v1:Deployment::${group}-${agent}`;

function step(seconds: number, urn: string, op: string, status: ResourceStep["status"]) {
  return { atMs: T0 + seconds * 1000, step: { urn, op, status } };
}

const trigger: Trigger = {
  condition: { kind: "critical_service_unhealthy", action: "immediate_rollback" },
  action: "immediate_rollback",
  atMs: T0 + 31_000,
  reason: "critical agent Core unhealthy",
  failingAgents: ["Core"],
};

function poll(seconds: number, healthy: number, rollback = false) {
  const outcomes = fleet.agents.map((agent, i) => ({
    agent: agent.name,
    outcome: i < healthy ? ("healthy" as const) : ("unhealthy" as const),
  }));
  const verdict = rollback
    ? { kind: "rollback" as const, pollsInWindow: 3, windowEndMs: 0, trigger }
    : { kind: "pending" as const, pollsInWindow: 1, windowEndMs: 0 };
  const p: Poll = { atMs: T0 + seconds * 1000, results: outcomes };
  return {
    atMs: p.atMs,
    event: { kind: "verify-poll", sinceDeployMs: 0, agents: fleet.agents.length, poll: p, verdict },
  } as { atMs: number; event: RolloutEvent };
}

const at = (seconds: number, event: RolloutEvent) => ({ atMs: T0 + seconds * 1000, event });
const stage = (index: number, name: RollbackStage): StageRef => ({ index, count: 4, name });

export const record: DeployRecord = {
  startMs: T0,
  steps: [
    step(
      2,
      "urn:pulumi:s::cascade::docker:index/remoteImage:RemoteImage::core-Registry",
      "create",
      "started",
    ),
    step(5, containerUrn("core", "Registry"), "create", "started"),
    step(9, containerUrn("core", "Registry"), "create", "done"),
    step(7, containerUrn("core", "Core"), "delete-replaced", "started"),
    step(9, containerUrn("core", "Core"), "delete-replaced", "done"),
    step(9, containerUrn("core", "Core"), "create-replacement", "started"),
    step(15, containerUrn("core", "Core"), "create-replacement", "failed"),
    step(9, deploymentUrn("work", "worker"), "update", "started"),
    step(14, deploymentUrn("work", "worker"), "update", "done"),
    step(3, containerUrn("work", "Helper"), "same", "started"),
    step(3, containerUrn("work", "Helper"), "same", "done"),
  ],
  events: [
    at(20, {
      kind: "verify-started",
      label: "update 4",
      agents: fleet.agents.length,
      windowSeconds: 30,
      overridden: true,
      source: "health-urls",
    }),
    poll(21, 6),
    poll(31, 2, true),
    at(32, { kind: "rollback-triggered", version: 4, trigger }),
    at(33, { kind: "stage-started", stage: stage(1, "pause_new_deployment") }),
    at(34, {
      kind: "paused",
      run: "4f2a9c",
      waitedMs: 0,
      windowStopped: false,
      stage: stage(1, "pause_new_deployment"),
    }),
    at(35, { kind: "stage-started", stage: stage(2, "route_traffic_to_old") }),
    at(36, {
      kind: "terminate-skipped",
      unhealthy: [],
      stage: stage(3, "terminate_unhealthy_new"),
    }),
  ],
};
