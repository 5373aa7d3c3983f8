import { join } from "../posix_path.ts";
import { backupIdPattern } from "./backup_id.ts";
import { type BackupEntry, readManifest, serviceBackupDir } from "./manifest.ts";

/**
 * The backups of a service, newest first. Only folders with a well-formed
 * manifest count: temp folders and half-written backups are not listed.
 */
export async function listBackups(backupDir: string, service: string): Promise<BackupEntry[]> {
  const dir = serviceBackupDir(backupDir, service);
  const out: BackupEntry[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return out;
    throw error;
  }
  for (const entry of entries) {
    if (!entry.isDirectory || !backupIdPattern.test(entry.name)) continue;
    const path = join(dir, entry.name);
    const manifest = await readManifest(path);
    if (manifest && manifest.id === entry.name) out.push({ manifest, path });
  }
  return out.sort(newestFirst);
}

/** Orders backups newest first: by start time, then id. */
export function newestFirst(a: BackupEntry, b: BackupEntry): number {
  return b.manifest.startedAt.localeCompare(a.manifest.startedAt) ||
    b.manifest.id.localeCompare(a.manifest.id);
}
