import { MAX_DURATION_SECONDS } from "../../src/fleet/duration";
import type { Fleet } from "../../src/fleet/model";
import { kebabName, NAME_MAX_LENGTH, RESERVED_NAMES } from "../../src/fleet/names";

const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/**
 * What every fleet the loader accepts must satisfy, written independently of the loader's
 * checks: the oracle for "wrongly accepted" in the property tests and in bench/fuzz.ts.
 * Returns each violation found; an empty list means the fleet is sound.
 */
export function fleetViolations(fleet: Fleet): string[] {
  const violations: string[] = [];
  const fail = (text: string) => violations.push(text);
  if (fleet.agents.length === 0) fail("no agents");
  if (!isName(fleet.host)) fail(`host ${JSON.stringify(fleet.host)} is not a name`);

  const waveNames = fleet.waves.map((wave) => wave.name);
  if (new Set(waveNames).size !== waveNames.length) fail("two waves share a name");
  for (const wave of fleet.waves) {
    if (!isName(wave.name)) fail(`wave ${JSON.stringify(wave.name)} is not a name`);
    if (!(wave.windowEndSeconds > wave.windowStartSeconds)) fail(`wave ${wave.name} window`);
  }

  const names = new Set<string>();
  const converted = new Set<string>();
  for (const agent of fleet.agents) {
    const dns = kebabName(agent.name);
    if (!isName(agent.name)) fail(`agent ${JSON.stringify(agent.name)} is not a name`);
    if (dns.length > NAME_MAX_LENGTH) fail(`agent ${agent.name} converts to ${dns.length} chars`);
    if (RESERVED_NAMES.has(dns)) fail(`agent ${agent.name} takes a reserved name`);
    if (converted.has(dns)) fail(`agents collide as ${dns}`);
    names.add(agent.name);
    converted.add(dns);
    if (!(agent.wave >= 1 && agent.wave <= fleet.waves.length)) fail(`agent ${agent.name} wave`);
    if (!isName(agent.group)) fail(`group ${JSON.stringify(agent.group)} is not a name`);
  }
  for (const agent of fleet.agents) {
    if (new Set(agent.dependsOn).size !== agent.dependsOn.length) {
      fail(`${agent.name} lists a dependency twice`);
    }
    for (const dependency of agent.dependsOn) {
      if (!names.has(dependency)) fail(`${agent.name} depends on unknown ${dependency}`);
    }
    violations.push(...healthViolations(agent.name, agent.health));
  }
  return violations;
}

function healthViolations(agent: string, health: Fleet["agents"][number]["health"]): string[] {
  const violations: string[] = [];
  if (health.checks.length === 0) violations.push(`${agent} has no health check`);
  const durations = [
    health.intervalSeconds,
    health.timeoutSeconds,
    health.startPeriodSeconds,
    ...health.stages.flatMap((stage) => [
      stage.intervalSeconds,
      stage.timeoutSeconds,
      stage.startPeriodSeconds,
    ]),
  ];
  if (!durations.every((seconds) => seconds >= 0 && seconds <= MAX_DURATION_SECONDS)) {
    violations.push(`${agent} has a duration Docker cannot hold`);
  }
  const positive = [
    health.intervalSeconds,
    health.timeoutSeconds,
    ...health.stages.flatMap((stage) => [stage.intervalSeconds, stage.timeoutSeconds]),
  ];
  if (!positive.every((seconds) => seconds > 0)) violations.push(`${agent} has a 0s interval`);
  if (!Number.isSafeInteger(health.retries) || health.retries < 1) {
    violations.push(`${agent} retries`);
  }
  return violations;
}

function isName(name: string): boolean {
  return name.length <= NAME_MAX_LENGTH && NAME.test(name);
}
