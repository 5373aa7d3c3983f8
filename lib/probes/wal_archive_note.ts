import { join } from "../posix_path.ts";

/**
 * Where a probe reads how far a server's WAL archive trails it: the server's
 * `pg_wal/archive_status` folder (a `.ready` file per finished segment the
 * archiver has not shipped yet) and the archive folder itself, read when the
 * first cannot be (a server in a container).
 */
export interface WalArchiveWatch {
  /** Absent where the server has no archiver (a WAL receiver streams instead). */
  readyDir?: string;
  archiveDir: string;
}

/**
 * How far the WAL archive trails its server, from the file system only (no
 * connection, a few milliseconds): from the server's folder, the segments
 * waiting and the wait of the oldest (0 when none waits); where that folder
 * cannot be read, when the archive's newest segment (or the one being
 * received) was last written, as an ISO time.
 */
export type WalArchiveReading =
  | { segmentsWaiting: number; lagSeconds: number }
  | { lastArchivedAt: string };

/** The WAL archive's lag as {@link WalArchiveReading}; undefined when neither folder can be read. */
export async function walArchiveReading(
  watch: WalArchiveWatch,
  now = Date.now(),
): Promise<WalArchiveReading | undefined> {
  const ready = watch.readyDir === undefined ? undefined : await oldestReady(watch.readyDir);
  if (ready) {
    return {
      segmentsWaiting: ready.count,
      lagSeconds: ready.count === 0 ? 0 : Math.max(0, Math.round((now - ready.oldest) / 1000)),
    };
  }
  const newest = await newestArchived(watch.archiveDir);
  return newest === undefined ? undefined : { lastArchivedAt: new Date(newest).toISOString() };
}

/**
 * A reading as a short note for a status line: `WAL archive up to date`, `WAL
 * archive 95 s behind (3 segments waiting)`, or `WAL last archived 40 s ago`.
 */
export function walArchiveNote(reading: WalArchiveReading, now = Date.now()): string {
  if ("lastArchivedAt" in reading) {
    const ago = Math.max(0, Math.round((now - Date.parse(reading.lastArchivedAt)) / 1000));
    return `WAL last archived ${ago} s ago`;
  }
  const count = reading.segmentsWaiting;
  if (count === 0) return "WAL archive up to date";
  return `WAL archive ${reading.lagSeconds} s behind (${count} segment${
    count === 1 ? "" : "s"
  } waiting)`;
}

async function oldestReady(
  dir: string,
): Promise<{ count: number; oldest: number } | undefined> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.name.endsWith(".ready")) names.push(entry.name);
    }
  } catch {
    return undefined;
  }
  // WAL file names sort in the order they were written: the first is the oldest
  const first = names.sort()[0];
  if (!first) return { count: 0, oldest: 0 };
  const info = await Deno.stat(join(dir, first)).catch(() => undefined);
  return { count: names.length, oldest: info?.mtime?.getTime() ?? Date.now() };
}

async function newestArchived(dir: string): Promise<number | undefined> {
  let newest: string | undefined;
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!/^[0-9A-F]{24}(\.partial)?$/.test(entry.name)) continue;
      if (newest === undefined || entry.name > newest) newest = entry.name;
    }
  } catch {
    return undefined;
  }
  if (newest === undefined) return undefined;
  const info = await Deno.stat(join(dir, newest)).catch(() => undefined);
  return info?.mtime?.getTime();
}
