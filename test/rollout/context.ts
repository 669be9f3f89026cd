import { parseFleet } from "../../src/fleet/loader";
import type { Fleet } from "../../src/fleet/model";
import { planFleet } from "../../src/fleet/planner";
import type { RolloutContext, VerifyFn } from "../../src/rollout/context";
import type { GitRepo } from "../../src/rollout/git";
import type { Verdict } from "../../src/rollout/policy";
import { stackSettingsSchema } from "../../src/stack/settings";
import { FakeBackend, FakeWorkspace } from "./fake-workspace";

export const SMALL_FLEET = `host: testhost
waves:
  - name: wave_1
    window: [0s, 60s]
  - name: wave_2
    window: [60s, 180s]
groups:
  core:
    wave: wave_1
    critical: true
    agents:
      - name: Registry
        image: cascade/registry
        ports: { health: 8200 }
        health_check: { type: http, endpoint: /health, interval: 5s }
  engine:
    wave: wave_2
    agents:
      - name: Models
        image: cascade/models
        ports: { health: 8211 }
        depends_on: [Registry]
        health_check: { type: http, endpoint: /health, interval: 5s }
      - name: Speech
        image: cascade/speech
        ports: { health: 8212 }
        depends_on: [Registry]
        health_check: { type: http, endpoint: /health, interval: 5s }
`;

export function smallFleet(): Fleet {
  return parseFleet(SMALL_FLEET, "fleet/test.yaml");
}

export const OLD_COMMIT = "a".repeat(40);
export const NEW_COMMIT = "b".repeat(40);
export const STACK = "test";

export function agentOutputs(
  ports: Record<string, number> = { Registry: 8200, Models: 8211, Speech: 8212 },
) {
  const waves: Record<string, number> = { Registry: 1, Models: 2, Speech: 2 };
  return {
    agents: Object.fromEntries(
      Object.entries(ports).map(([name, port]) => [
        name,
        {
          name: `cascade-${name}`,
          wave: waves[name] ?? 2,
          healthUrl: `http://127.0.0.1:${port}/health`,
        },
      ]),
    ),
  };
}

export const RESOURCES = [
  {
    urn: "urn:pulumi:test::cascade::pulumi:pulumi:Stack::cascade-test",
    type: "pulumi:pulumi:Stack",
  },
  {
    urn: "urn:pulumi:test::cascade::docker:index/network:Network::cascade-test",
    type: "docker:index/network:Network",
  },
  ...["Registry", "Models", "Speech"].map((name) => ({
    urn: `urn:pulumi:test::cascade::docker:index/container:Container::${name}`,
    type: "docker:index/container:Container",
  })),
];

export interface Harness {
  backend: FakeBackend;
  context: RolloutContext;
  printed: string[];
  verifyCalls: string[];
  worktrees: string[];
  removed: string[];
  confirmations: string[];
}

/** A context on a fake backend: "repo" is checked out at NEW_COMMIT, worktrees at their commit. */
export function harness(
  options: {
    verdicts?: Verdict["kind"][] | ((label: string) => Verdict);
    confirm?: boolean;
    knownCommits?: string[];
  } = {},
): Harness {
  const backend = new FakeBackend(STACK);
  backend.heads.set("repo", NEW_COMMIT);
  backend.resources = RESOURCES;
  backend.configs.set("repo", { "cascade:fleet": { value: "fleet/test.yaml" } });
  const printed: string[] = [];
  const verifyCalls: string[] = [];
  const worktrees: string[] = [];
  const removed: string[] = [];
  const confirmations: string[] = [];
  const queue = Array.isArray(options.verdicts) ? [...options.verdicts] : [];
  const verify: VerifyFn = (request) => {
    verifyCalls.push(`${request.label}: ${request.targets.map((t) => t.name).join(",")}`);
    const base = { pollsInWindow: 31, windowEndMs: request.deployEndMs + 300_000 };
    let verdict: Verdict;
    if (typeof options.verdicts === "function") verdict = options.verdicts(request.label);
    else {
      const kind = queue.shift() ?? "verified";
      verdict =
        kind === "rollback"
          ? {
              kind,
              ...base,
              trigger: {
                condition: { kind: "critical_service_unhealthy", action: "immediate_rollback" },
                action: "immediate_rollback",
                atMs: request.deployEndMs + 20_000,
                reason: "critical service unhealthy: Registry on 3 consecutive polls",
                failingAgents: ["Registry"],
              },
            }
          : kind === "unverified"
            ? {
                kind,
                ...base,
                pollsInWindow: 0,
                reason: "no health observations inside the verify window",
              }
            : kind === "pending"
              ? { kind: "unverified", ...base, reason: "pending" }
              : { kind, ...base };
    }
    return Promise.resolve({ verdict: verdict as never, polls: [], metrics: undefined as never });
  };
  const known = new Set(options.knownCommits ?? [OLD_COMMIT, NEW_COMMIT]);
  const git: GitRepo = {
    root: "/repo",
    commitExists: (commit) => known.has(commit),
    show: () => undefined,
    addWorktree(commit) {
      const dir = `worktree-${commit.slice(0, 4)}`;
      worktrees.push(dir);
      backend.heads.set(dir, commit);
      // The commit's stack file: the config that version ran with.
      backend.configs.set(dir, { "cascade:fleet": { value: "fleet/test.yaml" } });
      backend.programOutputs.set(dir, agentOutputs());
      return { dir, remove: () => removed.push(dir) };
    },
  };
  let now = 1_000_000;
  const context: RolloutContext = {
    stack: STACK,
    workspace: new FakeWorkspace(backend, "repo", STACK),
    openWorkspace: backend.open,
    git,
    loadVersion: (_dir, _stack, config) => {
      const fleet = smallFleet();
      const settings = stackSettingsSchema.parse({
        fleet: config["cascade:fleet"]?.value ?? "fleet/test.yaml",
      });
      return { fleet, settings, plan: planFleet(fleet, "waves") };
    },
    verify,
    confirm: (question) => {
      confirmations.push(question);
      return Promise.resolve(options.confirm ?? true);
    },
    clock: { now: () => (now += 1000) },
    print: (text) => printed.push(text),
  };
  return { backend, context, printed, verifyCalls, worktrees, removed, confirmations };
}

/** Puts a verified-good deployment of OLD_COMMIT (update 1 + marker update 2) in history. */
export function seedVerifiedGood(backend: FakeBackend, version = 1) {
  backend.record({
    version,
    message: "cascade deploy test",
    environment: {
      "git.head": OLD_COMMIT,
      "git.dirty": "false",
      "git.headName": "refs/heads/main",
    },
    config: { "cascade:fleet": { value: "fleet/test.yaml" } },
  });
  backend.record({
    message: `cascade: verified-good version ${version}`,
    environment: { "git.head": OLD_COMMIT, "git.dirty": "true" },
    config: {
      "cascade:fleet": { value: "fleet/test.yaml" },
      "cascade:verifiedGood": { value: String(version) },
    },
  });
  backend.outputs = agentOutputs();
}
