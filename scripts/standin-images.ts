/**
 * Makes every agent image a stack names out of the stand-in agent image, on the local Docker engine,
 * so that a stack can be deployed for real without a registry (the local stacks, docs/real-engine.md).
 *
 *   npx tsx scripts/standin-images.ts --stack local-mainpc                 tag cascade/standin:dev as each image
 *   npx tsx scripts/standin-images.ts --stack local-mainpc --tag 1.0.1     the same images at another tag: a new
 *                                                                          image (a label tells them apart), as a
 *                                                                          real release would be
 *   ... --tag 1.0.1-never-ready --env CASCADE_NEVER_READY=1               a release whose agents never get ready
 *   ... --agent ServiceRegistry                                           one agent's image only
 *
 * Needs the stand-in image (scripts/build-standin-image.sh). Prints the image references it made.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadFleet } from "../src/fleet/loader";
import { fleetStackContext } from "../src/stack/settings";
import { readStackFile } from "../src/stack/stack-file";
import { imageReference } from "../src/targets/agent-contract";

const STANDIN = "cascade/standin:dev";
const ROOT = path.resolve(__dirname, "..");

function docker(args: string[], input?: string): string {
  // stderr is kept for the error: the legacy builder warns on every build otherwise.
  return execFileSync("docker", args, {
    encoding: "utf8",
    input,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, DOCKER_BUILDKIT: "0" },
  });
}

/** The stand-in with `env` baked in and a label naming the release, built once per tag. */
function variant(tag: string, env: string[]): string {
  const image = `cascade/standin-release:${tag}`;
  const dockerfile = [
    `FROM ${STANDIN}`,
    `LABEL cascade.standin.release=${JSON.stringify(tag)}`,
    ...env.map((pair) => `ENV ${pair}`),
  ].join("\n");
  docker(["build", "--quiet", "-t", image, "-"], dockerfile);
  return image;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      stack: { type: "string" },
      tag: { type: "string" },
      agent: { type: "string", multiple: true },
      env: { type: "string", multiple: true, default: [] },
    },
  });
  if (!values.stack)
    throw new Error(
      "usage: standin-images.ts --stack STACK [--tag TAG] [--agent NAME]... [--env K=V]...",
    );
  const stack = readStackFile(ROOT, values.stack);
  const fleet = loadFleet(
    path.resolve(ROOT, stack.settings.fleet),
    fleetStackContext(stack.stack, stack.settings),
  );
  const agents = fleet.agents.filter((agent) => !values.agent || values.agent.includes(agent.name));
  const source =
    values.tag || values.env.length > 0 ? variant(values.tag ?? "dev", values.env) : STANDIN;
  const settings = values.tag
    ? { ...stack.settings, imageTag: values.tag, imageTags: {} }
    : stack.settings;
  for (const agent of agents) {
    const reference = imageReference(agent, settings);
    docker(["tag", source, reference]);
    console.log(reference);
  }
}

main();
