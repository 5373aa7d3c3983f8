import type { Environment } from "../config/mod.ts";
import { UsageError } from "../errors.ts";
import { type DockerCli, imageId } from "../runtime/docker_cli.ts";
import { currentRelease, readReleases, type Release } from "./release_log.ts";

/** What a container rollback goes back to. */
export interface RollbackTarget {
  /** Every release of the environment, oldest first. */
  releases: Release[];
  /** The service's current release. */
  current: Release;
  /** The image id the service ran before its current release, present on this host. */
  targetId: string;
}

/**
 * The image a service ran before its current release (the newest that
 * succeeded, deploy or rollback), checked to be still on this Docker host.
 * @throws {UsageError} when no release names an earlier image, or the image is gone.
 */
export async function rollbackTarget(
  environment: Environment,
  cli: DockerCli,
  name: string,
): Promise<RollbackTarget> {
  const releases = await readReleases(environment);
  const current = currentRelease(releases, name);
  if (!current?.previousImageId) {
    throw new UsageError(
      `there is no earlier release of ${name} in ${environment.name} to go back to`,
      `./ops releases ${name} lists what ran; deploy a version with ./ops deploy ${name}`,
    );
  }
  const targetId = current.previousImageId;
  if (!(await imageId(cli, targetId))) {
    throw new UsageError(
      `the image ${targetId.slice(0, 19)} that ${name} ran before is no longer on this Docker host`,
      `deploy the version you want with ./ops deploy ${name} --image REF`,
    );
  }
  return { releases, current, targetId };
}
