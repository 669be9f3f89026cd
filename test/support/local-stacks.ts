import type Docker from "dockerode";
import { filesVolumeName } from "../../src/targets/names";

/**
 * The local Docker stacks the docker-engine lane deploys (Pulumi.local-mainpc.yaml,
 * Pulumi.local-pc2.yaml): the MainPC and PC2 fleets with the stand-ins, on this host's network.
 */
export const MAINPC = "local-mainpc";
export const PC2 = "local-pc2";

/** Every container of `stack` on the engine, inspected. */
export async function stackContainers(
  docker: Docker,
  stack: string,
): Promise<Docker.ContainerInspectInfo[]> {
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`cascade.stack=${stack}`] },
  });
  return Promise.all(list.map((c) => docker.getContainer(c.Id).inspect()));
}

/**
 * What a failed test, destroy or killed run left of the local stacks. dockerd restarts their
 * containers when it starts, so they hold the fleets' ports until removed.
 */
export async function removeLocalStacks(docker: Docker): Promise<void> {
  for (const stack of [MAINPC, PC2]) {
    for (const container of await stackContainers(docker, stack)) {
      await docker.getContainer(container.Id).remove({ force: true });
    }
    // The seeder carries no stack label: found by its name.
    await docker
      .getContainer(`${filesVolumeName(stack)}-seeder`)
      .remove({ force: true })
      .catch(() => undefined);
    await docker
      .getVolume(filesVolumeName(stack))
      .remove()
      .catch(() => undefined);
  }
}
