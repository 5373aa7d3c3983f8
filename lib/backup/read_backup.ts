import { UsageError } from "../errors.ts";
import { assertBackupId } from "./backup_id.ts";
import { listBackups } from "./list_backups.ts";
import type { BackupEntry } from "./manifest.ts";

/**
 * One backup of a service by id (`latest` is the newest).
 * @throws {UsageError} for a malformed or unknown id, listing the ids that exist.
 */
export async function readBackup(
  backupDir: string,
  service: string,
  id: string,
): Promise<BackupEntry> {
  const all = await listBackups(backupDir, service);
  const hint = all.length
    ? `known ${service} backups (newest first): ${
      all.slice(0, 5).map((b) => b.manifest.id).join(", ")
    }${all.length > 5 ? ", ..." : ""}; ./ops ${service}:backups lists them all`
    : `there are no ${service} backups yet: ./ops ${service}:backup takes one`;
  if (id === "latest") {
    const newest = all[0];
    if (!newest) throw new UsageError(`there are no ${service} backups`, hint);
    return newest;
  }
  assertBackupId(id, hint);
  const found = all.find((b) => b.manifest.id === id);
  if (!found) throw new UsageError(`unknown ${service} backup ${JSON.stringify(id)}`, hint);
  return found;
}
