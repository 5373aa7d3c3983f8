/** One thing an interrupted run left behind, as `cleanup --leftovers` lists it. */
export interface Leftover {
  /** The service it belongs to (`postgres`, or the catalog folder for temp backup folders). */
  service: string;
  /** `scratch database`, `temp file`, `snapshot repository` or `temp backup folder`. */
  kind: string;
  /** The database, repository, file or folder name. */
  name: string;
  /** Where it is: the server's database list, a folder. */
  location: string;
  /** Who made it: `pid 123 (gone)`. */
  owner: string;
  /** True when its owner is gone, so it can be removed. */
  stale: boolean;
}

/** One leftover on one line: `scratch database ops_tmp_restore_… (postgres server; pid 123 (gone))`. */
export function describeLeftover(l: Leftover): string {
  return `${l.kind} ${l.name} (${l.location}; ${l.owner})`;
}

/** A leftover found, with the way to remove it. */
export interface FoundLeftover {
  leftover: Leftover;
  /** Removes it. @throws {FailedError} when the server or the file system refuses. */
  remove(): Promise<void>;
}

/**
 * Removes the stale leftovers among `found` (those of a live owner stay) and
 * returns their names. A removal that fails is left for the next run.
 */
export async function removeStale(found: readonly FoundLeftover[]): Promise<string[]> {
  const removed: string[] = [];
  for (const item of found) {
    if (!item.leftover.stale) continue;
    try {
      await item.remove();
      removed.push(item.leftover.name);
    } catch {
      // the next run tries again; cleanup --leftovers reports why
    }
  }
  return removed;
}
