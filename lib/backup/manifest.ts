import { join } from "../posix_path.ts";

/** Version of the manifest layout; readers refuse newer ones. */
export const manifestFormatVersion = 1;

/** Name of the file that makes a folder a backup. */
export const manifestFileName = "manifest.json";

/** One data file of a backup, relative to the backup folder. */
export interface BackupFileEntry {
  /** Path relative to the backup folder, `/`-separated. */
  path: string;
  size: number;
  sha256: string;
}

/** Service-specific facts recorded with a backup (row counts, key counts, snapshot name...). */
export type BackupDetails = Record<string, unknown>;

/** The `manifest.json` of one backup: written last, fsynced, so its presence means a complete backup. */
export interface BackupManifest {
  formatVersion: number;
  id: string;
  service: string;
  environment: string;
  label: string | null;
  /** ISO times. */
  startedAt: string;
  finishedAt: string;
  serverVersion: string | null;
  toolVersion: string | null;
  /** The options the backup was taken with (format, compression...). */
  options: Record<string, unknown>;
  files: BackupFileEntry[];
  totalBytes: number;
  details: BackupDetails;
}

/** A backup as found in the catalog: its manifest and its folder. */
export interface BackupEntry {
  manifest: BackupManifest;
  /** Absolute folder of the backup. */
  path: string;
}

/** The folder holding the backups of one service (`<backupDir>/<service>`). */
export function serviceBackupDir(backupDir: string, service: string): string {
  return join(backupDir, service);
}

/**
 * Reads and checks a manifest; undefined when the folder has no readable,
 * well-formed manifest (no manifest, no backup).
 */
export async function readManifest(folder: string): Promise<BackupManifest | undefined> {
  let value: unknown;
  try {
    value = JSON.parse(await Deno.readTextFile(join(folder, manifestFileName)));
  } catch {
    return undefined;
  }
  return isManifest(value) ? value : undefined;
}

function isManifest(value: unknown): value is BackupManifest {
  if (typeof value !== "object" || value === null) return false;
  const m = value as Record<string, unknown>;
  return typeof m.formatVersion === "number" && m.formatVersion <= manifestFormatVersion &&
    typeof m.id === "string" && typeof m.service === "string" &&
    typeof m.startedAt === "string" && typeof m.finishedAt === "string" &&
    Array.isArray(m.files) &&
    m.files.every((f) =>
      typeof f === "object" && f !== null && typeof f.path === "string" &&
      typeof f.size === "number" && typeof f.sha256 === "string"
    );
}
