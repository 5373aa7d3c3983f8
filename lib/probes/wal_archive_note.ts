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
 * A short note on the WAL archive's lag for a status line, read from the file
 * system only (no connection, a few milliseconds): `WAL archive up to date`,
 * `WAL archive 95 s behind (3 segments waiting)`, or `WAL last archived 40 s
 * ago` where the server's folder cannot be read; undefined when neither can.
 */
export async function walArchiveNote(
  watch: WalArchiveWatch,
  now = Date.now(),
): Promise<string | undefined> {
  const ready = watch.readyDir === undefined ? undefined : await oldestReady(watch.readyDir);
  if (ready) {
    if (ready.count === 0) return "WAL archive up to date";
    const behind = Math.max(0, Math.round((now - ready.oldest) / 1000));
    const segments = `${ready.count} segment${ready.count === 1 ? "" : "s"} waiting`;
    return `WAL archive ${behind} s behind (${segments})`;
  }
  const newest = await newestArchived(watch.archiveDir);
  if (newest === undefined) return undefined;
  return `WAL last archived ${Math.max(0, Math.round((now - newest) / 1000))} s ago`;
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
