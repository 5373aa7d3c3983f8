import { join } from "../path.ts";

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

async function newestBackup(dir: string): Promise<string | null> {
  const ids: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isDirectory && !entry.name.startsWith(".")) ids.push(entry.name);
    }
  } catch {
    return null;
  }
  // Backup ids sort by time, but a manifest's own finish time decides: check the newest few.
  ids.sort().reverse();
  let newest: string | null = null;
  for (const id of ids.slice(0, 5)) {
    const finished = await manifestTime(join(dir, id, "manifest.json"));
    if (finished && (newest === null || Date.parse(finished) > Date.parse(newest))) {
      newest = finished;
    }
  }
  return newest;
}

async function manifestTime(path: string): Promise<string | null> {
  try {
    const manifest = JSON.parse(await Deno.readTextFile(path)) as Record<string, unknown>;
    for (const key of ["finishedAt", "startedAt", "createdAt"]) {
      const value = manifest[key];
      if (typeof value === "string" && !Number.isNaN(Date.parse(value))) {
        return new Date(value).toISOString();
      }
    }
    const info = await Deno.stat(path);
    return info.mtime ? info.mtime.toISOString() : null;
  } catch {
    return null;
  }
}
