import type Docker from "dockerode";
import { REHEARSAL_LABEL } from "./scale";

/**
 * Removes everything a rehearsal created, found by its label `cascade.rehearsal=<run id>`
 * (containers, forcibly, then volumes), so it also cleans up after a crash: `runId` "*"
 * removes every rehearsal's leftovers.
 */
export async function teardown(
  docker: Docker,
  runId: string,
): Promise<{ containers: number; volumes: number }> {
  const filter = runId === "*" ? REHEARSAL_LABEL : `${REHEARSAL_LABEL}=${runId}`;
  const containers = await docker.listContainers({ all: true, filters: { label: [filter] } });
  await Promise.all(
    containers.map((info) =>
      docker
        .getContainer(info.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined),
    ),
  );
  const { Volumes: volumes } = await docker.listVolumes({ filters: { label: [filter] } });
  for (const volume of volumes ?? [])
    await docker
      .getVolume(volume.Name)
      .remove()
      .catch(() => undefined);
  return { containers: containers.length, volumes: volumes?.length ?? 0 };
}
