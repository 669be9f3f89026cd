import { parseFleet } from "../../src/fleet/loader";
import type { Fleet } from "../../src/fleet/model";
import { planFleet } from "../../src/fleet/planner";
import { renderRolloutEvent } from "../../src/cli/render-rollout";
import {
  RolloutInterrupted,
  type ConfirmOptions,
  type RolloutContext,
  type VerifyFn,
} from "../../src/rollout/context";
import type { RolloutEvent } from "../../src/rollout/events";
import type { GitRepo } from "../../src/rollout/git";
import { decodeRecord, encodeRecord, type Owner } from "../../src/rollout/record";
import { versionSpec } from "../../src/rollout/version";
import type { Verdict, WindowMeasurements } from "../../src/rollout/policy";
import { stackSettingsSchema } from "../../src/stack/settings";
import { fleetYaml } from "../support/fleet-builder";
import { FakeBackend, FakeWorkspace } from "./fake-workspace";

/** A window in which no agent ever failed and no error rate was measured. */
export const NO_MEASUREMENTS: WindowMeasurements = {
  agents: [],
  errorRate: { source: "none", samples: 0 },
};

/** Registry (critical, wave 1); Models and Speech (wave 2), each waiting for Registry. */
export const SMALL_FLEET = fleetYaml("testhost", {
  core: {
    wave: "wave_1",
    critical: true,
    agents: [{ name: "Registry", healthPort: 8200, check: { interval: "5s" } }],
  },
  engine: {
    wave: "wave_2",
    agents: [
      { name: "Models", healthPort: 8211, dependsOn: ["Registry"], check: { interval: "5s" } },
      { name: "Speech", healthPort: 8212, dependsOn: ["Registry"], check: { interval: "5s" } },
    ],
  },
});

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
          urns: [containerUrn(name)],
        },
      ]),
    ),
  };
}

function containerUrn(agent: string): string {
  return `urn:pulumi:test::cascade::docker:index/container:Container::${agent}`;
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
    urn: containerUrn(name),
    type: "docker:index/container:Container",
  })),
];

export interface Harness {
  backend: FakeBackend;
  context: RolloutContext;
  events: RolloutEvent[];
  /** The events as the cli prints them. */
  printed: string[];
  verifyCalls: string[];
  /** Each verify request as it came: label, site and window. */
  verifyRequests: Parameters<VerifyFn>[0][];
  worktrees: string[];
  removed: string[];
  confirmations: { question: string; options?: ConfirmOptions }[];
  /** Files the fake git reports with uncommitted changes. */
  dirtyFiles: string[];
  /** Rollback worktrees the fake git has registered, with their owners. */
  registeredWorktrees: { dir: string; owner?: Owner }[];
  /** The run's abort controller: abort() is SIGINT. */
  interrupt: AbortController;
}

export const OWNER: Owner = { user: "test", host: "testhost", pid: 4242 };

/** A context on a fake backend: "repo" is checked out at NEW_COMMIT, worktrees at their commit. */
export function harness(
  options: {
    verdicts?: Verdict["kind"][] | ((label: string) => Verdict);
    confirm?: boolean;
    knownCommits?: string[];
    /** Stack settings of the version rolled back to, over the fleet file (e.g. target). */
    settings?: Record<string, unknown>;
    /** Whether a process is alive; default: unknown (another host). */
    isAlive?: (owner: Owner) => boolean | undefined;
  } = {},
): Harness {
  const backend = new FakeBackend(STACK);
  backend.heads.set("repo", NEW_COMMIT);
  backend.resources = RESOURCES;
  backend.configs.set("repo", { "cascade:fleet": { value: "fleet/test.yaml" } });
  const events: RolloutEvent[] = [];
  const printed: string[] = [];
  const verifyCalls: string[] = [];
  const verifyRequests: Parameters<VerifyFn>[0][] = [];
  const worktrees: string[] = [];
  const removed: string[] = [];
  const confirmations: Harness["confirmations"] = [];
  const dirtyFiles: string[] = [];
  const registeredWorktrees: Harness["registeredWorktrees"] = [];
  const interrupt = new AbortController();
  const queue = Array.isArray(options.verdicts) ? [...options.verdicts] : [];
  const verify: VerifyFn = (request) => {
    verifyCalls.push(`${request.label}: ${request.targets.map((t) => t.name).join(",")}`);
    verifyRequests.push(request);
    const base = {
      pollsInWindow: 31,
      windowEndMs: request.deployEndMs + 300_000,
      measurements: NO_MEASUREMENTS,
    };
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
                reason: "critical service unhealthy: Registry failed 3 polls in a row",
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
    dirtyFiles: () => [...dirtyFiles],
    addWorktree(commit, owner) {
      const dir = `worktree-${commit.slice(0, 4)}`;
      worktrees.push(dir);
      registeredWorktrees.push({ dir, owner });
      backend.heads.set(dir, commit);
      backend.dirty.add(dir); // its stack file holds the version's recorded config
      // The commit's stack file: the config that version ran with.
      backend.configs.set(dir, { "cascade:fleet": { value: "fleet/test.yaml" } });
      backend.programOutputs.set(dir, agentOutputs());
      return { dir, remove: () => git.removeWorktree(dir) };
    },
    rollbackWorktrees: () => [...registeredWorktrees],
    removeWorktree(dir) {
      removed.push(dir);
      registeredWorktrees.splice(
        registeredWorktrees.findIndex((w) => w.dir === dir),
        1,
      );
    },
  };
  let now = 1_000_000;
  backend.now = () => now;
  const context: RolloutContext = {
    stack: STACK,
    workspace: new FakeWorkspace(backend, "repo", STACK),
    openWorkspace: backend.open,
    git,
    loadVersion: (_dir, stack, config) => {
      const fleet = smallFleet();
      const settings = stackSettingsSchema.parse({
        fleet: config["cascade:fleet"]?.value ?? "fleet/test.yaml",
        ...options.settings,
      });
      return Promise.resolve({
        spec: versionSpec(stack, settings, fleet, planFleet(fleet, "waves")),
        readBy: "own",
      });
    },
    verify,
    confirm: (question, confirmOptions) => {
      confirmations.push({ question, options: confirmOptions });
      return Promise.resolve(options.confirm ?? true);
    },
    clock: { now: () => (now += 1000) },
    sleep: (ms) => {
      if (interrupt.signal.aborted) return Promise.reject(new RolloutInterrupted());
      now += ms;
      return Promise.resolve();
    },
    emit: (event) => {
      events.push(event);
      printed.push(renderRolloutEvent(event));
    },
    run: "a1b2c3",
    owner: OWNER,
    isAlive: options.isAlive ?? (() => undefined),
    signal: interrupt.signal,
  };
  return {
    backend,
    context,
    events,
    printed,
    verifyCalls,
    verifyRequests,
    worktrees,
    removed,
    confirmations,
    dirtyFiles,
    registeredWorktrees,
    interrupt,
  };
}

/** Puts a verified-good deployment of OLD_COMMIT (update `version` + its verdict record) in history. */
export function seedVerifiedGood(backend: FakeBackend, version = 1) {
  const update = backend.record({
    version,
    message: "cascade deploy test (run 0ld000)",
    environment: {
      "git.head": OLD_COMMIT,
      "git.dirty": "false",
      "git.headName": "refs/heads/main",
    },
    config: { "cascade:fleet": { value: "fleet/test.yaml" } },
  });
  backend.record({
    kind: "refresh",
    message: encodeRecord(`update ${update.version} verified good over 31 polls`, {
      kind: "verdict",
      run: "0ld000",
      final: true,
      update: update.version,
      commit: OLD_COMMIT,
      dirty: false,
      result: "verified",
      reason: "no failure condition held over 31 polls",
      polls: 31,
      measurements: NO_MEASUREMENTS,
    }),
    environment: {},
    config: {},
  });
  backend.outputs = agentOutputs();
}

/** The deploy's update messages and records, in order, as "update: <message>" / "<record kind>: <result>". */
export function historyOf(backend: FakeBackend): string[] {
  return [...backend.history].reverse().map((entry) => {
    const record = decodeRecord(entry.message);
    if (!record) return `${entry.kind} ${entry.result}: ${entry.message}`;
    const result = "result" in record ? ` ${record.result}` : "";
    return `record ${record.kind}${result}${"final" in record && record.final ? " (final)" : ""}`;
  });
}

/** A lease of another run (0the25, a deploy) in history, held until `untilMs`. */
export function otherLease(
  backend: FakeBackend,
  untilMs: number,
  owner: Owner = { ...OWNER, pid: 99, host: "ci-7" },
) {
  backend.record({
    kind: "refresh",
    message: encodeRecord("lease", {
      kind: "lease",
      run: "0the25",
      command: "deploy",
      owner,
      untilMs,
    }),
    environment: {},
    config: {},
  });
}
