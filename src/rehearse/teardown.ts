import type Docker from "dockerode";
import { REHEARSAL_LABEL } from "./scale";

/** The containers and volumes of one rehearsal run, by its label `cascade.rehearsal=<run id>`. */
export async function runResources(docker: Docker, runId: string) {
  const filters = { label: [`${REHEARSAL_LABEL}=${runId}`] };
  const containers = await docker.listContainers({ all: true, filters });
  const { Volumes: volumes } = await docker.listVolumes({ filters });
  return { containers, volumes: volumes ?? [] };
}

/**
 * Removes everything a rehearsal created, found by its label (containers, forcibly, then
 * volumes), so it also cleans up after a crash (`removeLeftovers`).
 */
export async function teardown(
  docker: Docker,
  runId: string,
): Promise<{ containers: number; volumes: number }> {
  const { containers } = await runResources(docker, runId);
  await Promise.all(
    containers.map((info) =>
      docker
        .getContainer(info.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined),
    ),
  );
  // Listed after the containers are gone: a volume in use cannot be removed.
  const { volumes } = await runResources(docker, runId);
  for (const volume of volumes)
    await docker
      .getVolume(volume.Name)
      .remove()
      .catch(() => undefined);
  return { containers: containers.length, volumes: volumes.length };
}

/** The shell commands that remove a run someone kept (`--keep`). */
export function removeCommands(runId: string): string {
  const filter = `label=${REHEARSAL_LABEL}=${runId}`;
  return `docker rm -f $(docker ps -aq --filter ${filter}) && docker volume rm $(docker volume ls -q --filter ${filter})`;
}
