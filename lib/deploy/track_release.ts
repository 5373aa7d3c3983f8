import type { ConfiguredService, Environment } from "../config/mod.ts";
import { errorMessage, UsageError } from "../errors.ts";
import { newReleaseId, recordRelease, type Release, type ReleaseAction } from "./release_log.ts";

/** What a deploy or rollback step reports once it has put a version in place. */
export type ReleaseFacts = Partial<
  Pick<
    Release,
    "image" | "imageId" | "previousImageId" | "previousImage" | "previousVersion" | "detail"
  >
>;

/**
 * Runs one deploy or rollback of a service and records it in the
 * environment's releases, succeeded or failed. A mistake in the input
 * (UsageError: nothing was touched) is not a release and is not recorded.
 * @returns the recorded release; a failed one carries the error's message in `detail`.
 */
export async function trackRelease(
  environment: Environment,
  service: ConfiguredService,
  release: { action: ReleaseAction; version: string; runtime: string },
  work: (facts: ReleaseFacts) => Promise<ReleaseFacts | void>,
): Promise<Release> {
  const started = new Date();
  const began = performance.now();
  const facts: ReleaseFacts = {};
  let outcome: Release["outcome"] = "succeeded";
  try {
    Object.assign(facts, (await work(facts)) ?? {});
  } catch (error) {
    if (error instanceof UsageError) throw error;
    outcome = "failed";
    facts.detail = errorMessage(error);
  }
  const record: Release = {
    id: newReleaseId(started),
    service: service.definition.name,
    environment: environment.name,
    runtime: release.runtime,
    action: release.action,
    version: release.version,
    ...facts,
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    durationMs: Math.round(performance.now() - began),
    outcome,
  };
  await recordRelease(environment, record);
  return record;
}
