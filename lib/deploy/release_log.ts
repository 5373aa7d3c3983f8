import { join } from "../posix_path.ts";
import type { Environment } from "../config/mod.ts";
import { newBackupId } from "../backup/backup_id.ts";

/** What a release did: put a new version in place, or go back to the one before. */
export type ReleaseAction = "deploy" | "rollback";

/**
 * How a release ended: `succeeded`; `failed` (the new version did not become
 * healthy and the previous one was put back, or nothing had been replaced).
 */
export type ReleaseOutcome = "succeeded" | "failed";

/** One release of one service, as `./ops releases` lists it. */
export interface Release {
  /** Sortable by start time: `20261129T051500Z-abc123`. */
  id: string;
  service: string;
  environment: string;
  runtime: string;
  action: ReleaseAction;
  /** What was put in place: the commit (`-dirty` when the tree had changes) or the image tag. */
  version: string;
  /** The image reference, on container runtimes. */
  image?: string;
  /** The image id the service runs when the release succeeded. */
  imageId?: string;
  /** The image id it ran before (what a rollback goes back to). */
  previousImageId?: string;
  /** The image reference it ran before, where the runtime names images by reference (swarm). */
  previousImage?: string;
  /** The version it ran before, when known. */
  previousVersion?: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  outcome: ReleaseOutcome;
  /** Why it failed, and what was put back. */
  detail?: string;
}

/** The file the releases of an environment are appended to, one JSON document a line. */
export function releasesFile(environment: Environment): string {
  return join(environment.stateDir, "releases.ndjson");
}

/** A new release id (the start time to the second, then six random hex digits). */
export function newReleaseId(now: Date = new Date()): string {
  return newBackupId(now);
}

/**
 * Appends one release to the environment's record (one line, written in one
 * call with O_APPEND, so two deploys of different services never interleave).
 */
export async function recordRelease(environment: Environment, release: Release): Promise<void> {
  await Deno.mkdir(environment.stateDir, { recursive: true });
  const path = releasesFile(environment);
  // a line a crash cut short is ended first, so it does not swallow this one
  const torn = !(await endsWithNewline(path));
  await Deno.writeTextFile(path, (torn ? "\n" : "") + JSON.stringify(release) + "\n", {
    append: true,
  });
}

/** Whether a file is missing, empty or ends with a newline. */
async function endsWithNewline(path: string): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return true;
    throw error;
  }
  try {
    const size = (await file.stat()).size;
    if (size === 0) return true;
    await file.seek(size - 1, Deno.SeekMode.Start);
    const last = new Uint8Array(1);
    await file.read(last);
    return last[0] === 0x0a;
  } finally {
    file.close();
  }
}

/**
 * The environment's releases, oldest first (none when nothing was deployed).
 * A line that does not parse (a write cut short by a crash) is left out.
 */
export async function readReleases(environment: Environment): Promise<Release[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(releasesFile(environment));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const releases: Release[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      releases.push(JSON.parse(line) as Release);
    } catch {
      // a torn last line: the release it began was not finished
    }
  }
  return releases;
}

/** The newest succeeded release of a service, when there is one. */
export function currentRelease(releases: readonly Release[], service: string): Release | undefined {
  return releases.findLast((r) => r.service === service && r.outcome === "succeeded");
}
