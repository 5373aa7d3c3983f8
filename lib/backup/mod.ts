/**
 * The backup catalog: one folder per backup with a `manifest.json` written
 * last (no manifest, no backup), SHA-256 of every file, verification,
 * retention and a lock per service.
 *
 * @example
 * ```ts
 * import { listBackups, verifyBackup } from "./lib/backup/mod.ts";
 * for (const backup of await listBackups("backups/local", "postgres")) {
 *   console.log(backup.manifest.id, (await verifyBackup(backup)).ok);
 * }
 * ```
 * @module
 */
export { assertBackupId, backupIdPattern, newBackupId, validateLabel } from "./backup_id.ts";
export { hashFile, writeStreamWithChecksum } from "./checksum.ts";
export type { Checksum, ProgressCallback } from "./checksum.ts";
export {
  manifestFileName,
  manifestFormatVersion,
  readManifest,
  serviceBackupDir,
} from "./manifest.ts";
export type { BackupDetails, BackupEntry, BackupFileEntry, BackupManifest } from "./manifest.ts";
export { writeBackup } from "./write_backup.ts";
export type { BackupProduced, BackupWriter, WriteBackupOptions } from "./write_backup.ts";
export { findTempFolders, removeStaleTemps } from "./stale_temps.ts";
export { listBackups, newestFirst } from "./list_backups.ts";
export { readBackup } from "./read_backup.ts";
export type { ReadBackupWording } from "./read_backup.ts";
export { verifyBackup } from "./verify_backup.ts";
export type { VerifyReport } from "./verify_backup.ts";
export { isoWeek, planRetention } from "./plan_retention.ts";
export type { KeptBackup, RetentionPlan, RetentionPolicy } from "./plan_retention.ts";
export { pruneBackups } from "./prune_backups.ts";
export type { PruneResult } from "./prune_backups.ts";
export { backupLockPath, withBackupLock } from "./backup_lock.ts";
export { backupsInSets, setParts, setsFolder } from "./backup_sets.ts";
export type { BackupSetDetails, BackupSetPart } from "./backup_sets.ts";
export type { LockHolder } from "./backup_lock.ts";
