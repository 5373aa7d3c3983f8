import { join } from "../posix_path.ts";
import { hashFile, type ProgressCallback } from "./checksum.ts";
import type { BackupEntry } from "./manifest.ts";

/** The outcome of re-checking a backup's files against its manifest. */
export interface VerifyReport {
  id: string;
  service: string;
  ok: boolean;
  /** Files checked. */
  files: number;
  /** Bytes read. */
  bytes: number;
  /** One line per problem: missing file, wrong size, wrong checksum. */
  problems: string[];
}

/**
 * Re-hashes every file of a backup and compares size and SHA-256 with the manifest.
 * Never throws for a damaged backup: the problems are in the report.
 */
export async function verifyBackup(
  backup: BackupEntry,
  onProgress?: ProgressCallback,
): Promise<VerifyReport> {
  const problems: string[] = [];
  let bytes = 0;
  for (const file of backup.manifest.files) {
    const base = bytes;
    let sum;
    try {
      sum = await hashFile(join(backup.path, file.path), (n) => onProgress?.(base + n));
    } catch (error) {
      problems.push(
        error instanceof Deno.errors.NotFound
          ? `${file.path}: missing`
          : `${file.path}: unreadable (${error instanceof Error ? error.message : error})`,
      );
      continue;
    }
    bytes += sum.size;
    if (sum.size !== file.size) {
      problems.push(`${file.path}: size ${sum.size} bytes, manifest says ${file.size}`);
    } else if (sum.sha256 !== file.sha256) {
      problems.push(`${file.path}: sha256 ${sum.sha256} does not match the manifest`);
    }
  }
  return {
    id: backup.manifest.id,
    service: backup.manifest.service,
    ok: problems.length === 0,
    files: backup.manifest.files.length,
    bytes,
    problems,
  };
}
