import { UsageError } from "../errors.ts";
import { assertBackupId } from "./backup_id.ts";
import { listBackups } from "./list_backups.ts";
import type { BackupEntry } from "./manifest.ts";

/** How {@link readBackup} names what it looks for in its messages. */
export interface ReadBackupWording {
  /** e.g. `postgres backup` (default `<service> backup`). */
  what?: string;
  /** The command that lists them (default `./ops <service>:backups`). */
  list?: string;
  /** The command that takes one (default `./ops <service>:backup`). */
  take?: string;
}

/**
 * One backup of a service by id (`latest` is the newest).
 * @throws {UsageError} for a malformed or unknown id, listing the ids that exist.
 */
export async function readBackup(
  backupDir: string,
  service: string,
  id: string,
  wording: ReadBackupWording = {},
): Promise<BackupEntry> {
  const what = wording.what ?? `${service} backup`;
  const list = wording.list ?? `./ops ${service}:backups`;
  const take = wording.take ?? `./ops ${service}:backup`;
  const all = await listBackups(backupDir, service);
  const hint = all.length
    ? `known ids (newest first): ${all.slice(0, 5).map((b) => b.manifest.id).join(", ")}${
      all.length > 5 ? ", ..." : ""
    }; ${list} lists them all`
    : `there is no ${what} yet: ${take} takes one`;
  if (id === "latest") {
    const newest = all[0];
    if (!newest) throw new UsageError(`there is no ${what} yet`, hint);
    return newest;
  }
  assertBackupId(id, hint);
  const found = all.find((b) => b.manifest.id === id);
  if (!found) throw new UsageError(`unknown ${what} ${JSON.stringify(id)}`, hint);
  return found;
}
