import fc from "fast-check";
import { stringify } from "yaml";
import { VALID_FLEET } from "./fleet-fixture";

/**
 * Generated fleet files, bad and odd, for the property tests and bench/fuzz.ts: mutations of a
 * valid fleet, fleets built from risky parts, alias bombs and anchor reuse, and raw text.
 */

/** Text that has broken loaders before: YAML syntax, aliases, odd names and durations. */
export const RISKY_TOKENS = [
  "*nope",
  "&a ",
  "*a",
  "*hc",
  "&hc ",
  "!!str ",
  "!foo ",
  "---\n",
  "? ",
  ": ",
  "- ",
  "[",
  "]",
  "{",
  "}",
  ",",
  '"',
  "'",
  "#",
  "\t",
  "\n",
  "\r\n",
  "\u2028",
  "\u0085",
  "\u0000",
  "\u202e",
  "~",
  "null",
  "<<: ",
  "|\n",
  "%YAML 1.2\n",
  "0s",
  "0.0001s",
  `${"9".repeat(400)}s`,
  "2562048h",
  "constructor",
  "toString",
  "__proto__",
  "Prometheus",
  "Grafana",
  "Files",
  "Foo_Bar",
  "foo-bar",
  "Registry",
  "Regsitry",
  "wave_1",
  "lightweight_check",
  "A".repeat(70),
  "AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGhIjKlMnOpQrStUvWxYz",
  "x".repeat(20_000),
  `${"Registry".repeat(2500)}x`,
  "[".repeat(3000),
  "- ".repeat(3000),
  '"'.repeat(3000),
  "\nfuzz.yaml:1:1: forged problem\n",
];

const token = fc.constantFrom(...RISKY_TOKENS);

const mutation = fc.oneof(
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: token }),
  fc.record({
    kind: fc.constant("replace" as const),
    at: fc.nat(),
    length: fc.nat({ max: 40 }),
    text: token,
  }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.nat({ max: 40 }) }),
  fc.record({ kind: fc.constant("duplicateLine" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("indent" as const),
    at: fc.nat(),
    by: fc.integer({ min: -4, max: 4 }),
  }),
  fc.record({
    kind: fc.constant("char" as const),
    at: fc.nat(),
    text: fc.string({ maxLength: 3, unit: "binary" }),
  }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(text: string, change: Mutation): string {
  const at = change.at % (text.length + 1);
  switch (change.kind) {
    case "insert":
    case "char":
      return text.slice(0, at) + change.text + text.slice(at);
    case "replace":
      return text.slice(0, at) + change.text + text.slice(at + change.length);
    case "delete":
      return text.slice(0, at) + text.slice(at + change.length);
    case "duplicateLine":
    case "indent": {
      const lines = text.split("\n");
      const line = change.at % lines.length;
      if (change.kind === "duplicateLine") lines.splice(line, 0, lines[line]);
      else if (change.by > 0) lines[line] = " ".repeat(change.by) + lines[line];
      else lines[line] = lines[line].slice(-change.by);
      return lines.join("\n");
    }
  }
}

/** A valid fleet text with one to four mutations. */
export function mutatedFleet(bases: readonly string[] = [VALID_FLEET]): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...bases), fc.array(mutation, { minLength: 1, maxLength: 4 }))
    .map(([base, changes]) => changes.reduce(mutate, base));
}

const riskyName = fc.oneof(
  fc.constantFrom(
    "Registry",
    "Twin",
    "Models",
    "Foo_Bar",
    "foo-bar",
    "FooBar",
    "Prometheus",
    "grafana",
    "Files",
  ),
  fc.constantFrom(
    "constructor",
    "toString",
    "__proto__",
    "hasOwnProperty",
    "A".repeat(64),
    "AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGhIjKlMnOpQrStUvWxYz",
  ),
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,70}$/),
);

const riskyDuration = fc.oneof(
  fc.constantFrom("0s", "0ms", "0.0001s", "1ms", "5s", "2m", "1m30s", "2562047h", "2562048h"),
  fc.constantFrom(`${"9".repeat(400)}s`, "1e3s", "-5s", "5", "", "s"),
  fc.stringMatching(/^\d{1,12}(?:\.\d{1,4})?(?:ms|s|m|h)$/),
);

/** A fleet built from risky names, durations, templates and dependencies, shared as YAML aliases. */
export const riskyFleet: fc.Arbitrary<string> = fc
  .record({
    waves: fc.array(riskyName, { minLength: 0, maxLength: 3 }),
    templates: fc.array(riskyName, { maxLength: 2 }),
    agents: fc.array(
      fc.record({
        name: riskyName,
        group: riskyName,
        wave: fc.nat(),
        interval: riskyDuration,
        timeout: riskyDuration,
        template: fc.option(riskyName, { nil: undefined }),
        dependsOn: fc.array(riskyName, { maxLength: 3 }),
        sharedCheck: fc.boolean(),
      }),
      { maxLength: 6 },
    ),
  })
  .map(({ waves, templates, agents }) => {
    const shared = { type: "http", endpoint: "/health", interval: "5s" };
    const groups = new Map<string, { agents: unknown[] }>();
    agents.forEach((agent, i) => {
      const waveName = waves.length ? waves[agent.wave % waves.length] : "wave_1";
      const check = agent.template
        ? { template: agent.template }
        : agent.sharedCheck
          ? shared
          : { type: "http", endpoint: "/health", interval: agent.interval, timeout: agent.timeout };
      if (!groups.has(agent.group)) groups.set(agent.group, { agents: [] });
      groups.get(agent.group)!.agents.push({
        name: agent.name,
        image: "cascade/standin",
        wave: waveName,
        ports: { health: 9000 + i },
        depends_on: agent.dependsOn,
        health_check: check,
      });
    });
    return stringify({
      host: "fuzzhost",
      waves: waves.map((name, i) => ({ name, window: [`${i * 60}s`, `${(i + 1) * 60}s`] })),
      health_templates: Object.fromEntries(templates.map((name) => [name, shared])),
      groups: Object.fromEntries(groups),
    });
  });

/** An alias bomb: `levels` anchors, each a list of `fanout` aliases to the one before. */
export function aliasBomb(levels: number, fanout: number): string {
  const lines = [
    "host: bomb",
    "waves: [{ name: w, window: [0s, 60s] }]",
    "groups:",
    "  g:",
    "    wave: w",
    "    agents:",
  ];
  lines.push(`      - name: A`, `        image: &l0 [x]`);
  for (let level = 1; level <= levels; level++) {
    lines.push(
      `        l${level}: &l${level} [${Array.from({ length: fanout }, () => `*l${level - 1}`).join(", ")}]`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** A valid fleet of `agents` agents that all share one anchored health check. */
export function anchorReuse(agents: number): string {
  const lines = [
    "host: reuse",
    "waves: [{ name: w, window: [0s, 60s] }]",
    "groups:",
    "  g:",
    "    wave: w",
    "    agents:",
  ];
  for (let i = 0; i < agents; i++) {
    const check =
      i === 0
        ? "&hc { type: http, endpoint: /health, interval: 5s, timeout: 2s, retries: 3 }"
        : "*hc";
    lines.push(
      `      - { name: A${i}, image: cascade/standin, ports: { health: ${10000 + i} }, health_check: ${check} }`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Every kind of generated document, weighted towards mutations of real fleets. */
export function fuzzDocument(bases: readonly string[] = [VALID_FLEET]): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: mutatedFleet(bases), weight: 6 },
    { arbitrary: riskyFleet, weight: 3 },
    {
      arbitrary: fc
        .tuple(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 2, max: 10 }))
        .map(([l, f]) => aliasBomb(l, f)),
      weight: 1,
    },
    { arbitrary: fc.integer({ min: 1, max: 400 }).map(anchorReuse), weight: 1 },
    { arbitrary: fc.string({ maxLength: 200, unit: "binary" }), weight: 1 },
  );
}
