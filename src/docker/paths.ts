import { AGENT_FILES_DIR } from "../targets/agent-contract";

/**
 * Where the Docker target puts files in agent containers. Everything lives in one per-stack
 * volume mounted read-only at FILES_MOUNT, so it works with a read-only root filesystem:
 * Docker refuses `docker cp` into a read-only rootfs unless the destination is a volume, and
 * the provider's `uploads` always copies to "/" (verified against dockerd, see
 * docs/docker-target.md), so agent containers cannot take uploads themselves.
 */
export const FILES_MOUNT = AGENT_FILES_DIR;
export const PROBE_PATH = `${FILES_MOUNT}/bin/cascade-probe`;
