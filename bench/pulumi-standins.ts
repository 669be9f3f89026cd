import * as pulumi from "@pulumi/pulumi";
import { LABELS } from "../src/docker/container-spec";
import { rehearsalInputs, type CreateContext } from "../src/rehearse/scale";
import { CONTAINER_TYPE, type ContainerInputs } from "../src/rehearse/specs";

/**
 * For bench/startup's `pulumi up`: the Pulumi program with every agent container it registers
 * mapped exactly as `cascade rehearse` maps it (`rehearsalInputs`: stand-in image, scaled
 * health timings and wait, the stand-in's timing, run label), so that Pulumi, Compose and the
 * rehearsal start the same containers. The context comes in STANDINS_ENV.
 */

export const STANDINS_ENV = "CASCADE_BENCH_STANDINS";

export interface StandinsContext {
  runId: string;
  scale: number;
  minIntervalMs: number;
  image: string;
  /** Health port -> agent name. */
  agentByPort: [string, string][];
}

export function registerStandins(): void {
  const raw = process.env[STANDINS_ENV];
  if (!raw) throw new Error(`${STANDINS_ENV} is not set: run this program from bench/startup.ts`);
  const given = JSON.parse(raw) as StandinsContext;
  const context: CreateContext = {
    ...given,
    agentByPort: new Map(given.agentByPort),
    volumes: new Map(),
    extraEnv: {},
  };
  pulumi.runtime.registerStackTransformation((args) => {
    const props = args.props as ContainerInputs;
    if (args.type !== CONTAINER_TYPE || !props.labels?.some((l) => l.label === LABELS.agent))
      return undefined;
    return { props: rehearsalInputs(props, context), opts: args.opts };
  });
}
