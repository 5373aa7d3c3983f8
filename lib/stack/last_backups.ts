import { join } from "../posix_path.ts";

/**
 * When the newest backup of each service finished, read from the backup
 * catalog (`<backupDir>/<service>/<id>/manifest.json`). A folder without a
 * manifest is not a backup; temp folders (`.tmp-*`) are skipped. A missing
 * catalog, service folder or unreadable manifest simply means "unknown"
 * (null), so the dashboard works before any backup exists.
 */
export async function lastBackups(
  backupDir: string,
  services: readonly string[],
): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  await Promise.all(services.map(async (service) => {
    out.set(service, await newestBackup(join(backupDir, service)));
  }));
  return out;
}

/** The backups of one service folder: how many, and the newest one's finish time and size. */
export interface NewestBackup {
  count: number;
  finishedAt: string | null;
  totalBytes: number;
}

/**
 * The newest complete backup in a service's catalog folder (null when the
 * folder is missing). Backup ids sort by time, but a manifest's own finish
 * time decides: the newest few are read.
 */
export async function newestBackupIn(dir: string): Promise<NewestBackup | null> {
  const ids: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isDirectory && !entry.name.startsWith(".")) ids.push(entry.name);
    }
  } catch {
    return null;
  }
  ids.sort().reverse();
  let newest: { finishedAt: string; totalBytes: number } | null = null;
  const newestFew = await Promise.all(
    ids.slice(0, 5).map((id) => manifestFacts(join(dir, id, "manifest.json"))),
  );
  for (const read of newestFew) {
    if (read && (newest === null || Date.parse(read.finishedAt) > Date.parse(newest.finishedAt))) {
      newest = read;
    }
  }
  return {
    count: ids.length,
    finishedAt: newest?.finishedAt ?? null,
    totalBytes: newest?.totalBytes ?? 0,
  };
}

async function newestBackup(dir: string): Promise<string | null> {
  return (await newestBackupIn(dir))?.finishedAt ?? null;
}

/** A manifest's finish time (else its start or creation time, else the file's) and total size, read once. */
async function manifestFacts(
  path: string,
): Promise<{ finishedAt: string; totalBytes: number } | null> {
  try {
    const manifest = JSON.parse(await Deno.readTextFile(path)) as Record<string, unknown>;
    const totalBytes = typeof manifest.totalBytes === "number" ? manifest.totalBytes : 0;
    for (const key of ["finishedAt", "startedAt", "createdAt"]) {
      const value = manifest[key];
      if (typeof value === "string" && !Number.isNaN(Date.parse(value))) {
        return { finishedAt: new Date(value).toISOString(), totalBytes };
      }
    }
    const info = await Deno.stat(path);
    return info.mtime ? { finishedAt: info.mtime.toISOString(), totalBytes } : null;
  } catch {
    return null;
  }
}
