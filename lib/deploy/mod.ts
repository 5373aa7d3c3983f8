/**
 * Deploys and releases: putting a new version of a service in place on each
 * runtime, health-gated, with the previous one put back on failure, and the
 * record of what ran when.
 * @module
 */
export { deployNative, type DeployOptions } from "./native_deploy.ts";
export { deployCompose, rollbackCompose } from "./compose_deploy.ts";
export { deploySwarm, rollbackSwarm } from "./swarm_deploy.ts";
export { rolloutFlags } from "./swarm_rollout.ts";
export {
  currentRelease,
  readReleases,
  type Release,
  type ReleaseAction,
  type ReleaseOutcome,
  releasesFile,
} from "./release_log.ts";
export { sourceVersion } from "./source_version.ts";
