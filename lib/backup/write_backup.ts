import { join, relative, sep } from "../posix_path.ts";
import { errorMessage, FailedError } from "../errors.ts";
import { selfStart } from "./_self_process.ts";
import { processStartOrNow } from "../runtime/proc.ts";
import { newBackupId, validateLabel } from "./backup_id.ts";
import {
  type Checksum,
  hashFile,
  type ProgressCallback,
  writeStreamWithChecksum,
} from "./checksum.ts";
import {
  type BackupDetails,
  type BackupEntry,
  type BackupFileEntry,
  type BackupManifest,
  manifestFileName,
  manifestFormatVersion,
  serviceBackupDir,
} from "./manifest.ts";
import { removeStaleTemps, writerFileName, type WriterRecord } from "./stale_temps.ts";

/** What a backup producer gets: a temp folder to fill and ways to add checksummed files. */
export interface BackupWriter {
  /** The id the backup will have. */
  readonly id: string;
  /** The temp folder (`.tmp-<id>`); programs may write files into it directly. */
  readonly dir: string;
  /** Streams bytes into `path` (relative), hashing on the way; never buffers the whole stream. */
  addStream(path: string, source: ReadableStream<Uint8Array>): Promise<BackupFileEntry>;
  /**
   * Hashes a file a program wrote into the folder (`path`, relative) and
   * fsyncs it, both at once (the hash reads the page cache while the disk
   * takes the writes, so a program may skip its own fsync); files not added
   * this way are hashed and fsynced after the producer returns.
   */
  addWritten(path: string): Promise<BackupFileEntry>;
  /** Copies a file into `path` (relative), hashing on the way. */
  copyFile(from: string, path: string): Promise<BackupFileEntry>;
  /** Records a process just started to write into the folder, so a later run can kill it if this one dies. */
  recordChild(pid: number): Promise<void>;
}

/** What a producer returns: the service-specific facts and versions for the manifest. */
export interface BackupProduced {
  details?: BackupDetails;
  serverVersion?: string | null;
  toolVersion?: string | null;
}

/** Options of {@link writeBackup}. */
export interface WriteBackupOptions {
  /** The environment's backup folder. */
  backupDir: string;
  service: string;
  environment: string;
  label?: string | undefined;
  /** The options the backup is taken with, recorded in the manifest. */
  options?: Record<string, unknown>;
  /** Called with the total bytes written so far. */
  onProgress?: ProgressCallback;
  /** Start time (tests). */
  now?: Date;
}

/**
 * Writes one backup atomically: files go into `<backupDir>/<service>/.tmp-<id>/`
 * (streamed through SHA-256), files written there by programs are hashed
 * afterwards, `manifest.json` is written and fsynced last, then the folder is
 * renamed to `<id>`. On any failure the temp folder is removed; leftovers of a
 * killed run are removed by the next one.
 * @throws {UsageError} for a bad label; whatever `produce` throws (after cleanup).
 */
export async function writeBackup(
  options: WriteBackupOptions,
  produce: (writer: BackupWriter) => Promise<BackupProduced>,
): Promise<BackupEntry> {
  const label = validateLabel(options.label);
  const started = options.now ?? new Date();
  const id = newBackupId(started);
  const serviceDir = serviceBackupDir(options.backupDir, options.service);
  await Deno.mkdir(serviceDir, { recursive: true, mode: 0o750 });
  await removeStaleTemps(serviceDir);
  const dir = join(serviceDir, `.tmp-${id}`);
  const finalDir = join(serviceDir, id);
  await Deno.mkdir(dir, { mode: 0o750 });
  const record: WriterRecord = {
    pid: Deno.pid,
    ...(await selfStart()),
    host: Deno.hostname(),
    children: [],
  };
  const writerFile = join(dir, writerFileName);
  const saveRecord = () => Deno.writeTextFile(writerFile, JSON.stringify(record) + "\n");
  await saveRecord();

  const files = new Map<string, BackupFileEntry>();
  let doneBytes = 0;
  const add = (path: string, sum: Checksum): BackupFileEntry => {
    const entry = { path, size: sum.size, sha256: sum.sha256 };
    files.set(path, entry);
    doneBytes += sum.size;
    options.onProgress?.(doneBytes);
    return entry;
  };
  const progressFrom = (base: number) => (n: number) => options.onProgress?.(base + n);
  const writer: BackupWriter = {
    id,
    dir,
    async addStream(path, source) {
      const target = safeTarget(dir, path);
      return add(path, await writeStreamWithChecksum(source, target, progressFrom(doneBytes)));
    },
    async addWritten(path) {
      const target = safeTarget(dir, path);
      const [sum] = await Promise.all([
        hashFile(target, progressFrom(doneBytes)),
        syncFile(target),
      ]);
      return add(path, sum);
    },
    async copyFile(from, path) {
      const target = safeTarget(dir, path);
      using input = await Deno.open(from, { read: true });
      return add(
        path,
        await writeStreamWithChecksum(input.readable, target, progressFrom(doneBytes)),
      );
    },
    async recordChild(pid) {
      record.children.push({ pid, ...(await processStartOrNow(pid)) });
      await saveRecord();
    },
  };

  try {
    const produced = await produce(writer);
    await Deno.remove(writerFile);
    for (const path of await listFiles(dir)) {
      if (files.has(path)) continue;
      const [sum] = await Promise.all([
        hashFile(join(dir, path), progressFrom(doneBytes)),
        syncFile(join(dir, path)),
      ]);
      add(path, sum);
    }
    // every sub-folder's entries too (a program that skipped its own fsync left them unsynced)
    const folders = new Set<string>();
    for (const path of files.keys()) {
      const parts = path.split("/");
      for (let n = 1; n < parts.length; n++) folders.add(parts.slice(0, n).join("/"));
    }
    for (const folder of folders) await syncDirectory(join(dir, folder));
    const entries = [...files.values()].sort((a, b) => a.path.localeCompare(b.path));
    const manifest: BackupManifest = {
      formatVersion: manifestFormatVersion,
      id,
      service: options.service,
      environment: options.environment,
      label: label ?? null,
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      serverVersion: produced.serverVersion ?? null,
      toolVersion: produced.toolVersion ?? null,
      options: options.options ?? {},
      files: entries,
      totalBytes: entries.reduce((sum, f) => sum + f.size, 0),
      details: produced.details ?? {},
    };
    await writeSynced(join(dir, manifestFileName), JSON.stringify(manifest, null, 2) + "\n");
    await syncDirectory(dir);
    await Deno.rename(dir, finalDir);
    await syncDirectory(serviceDir);
    return { manifest, path: finalDir };
  } catch (error) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
}

/** The absolute target of a relative data-file path, refusing anything that escapes the folder. */
function safeTarget(dir: string, path: string): string {
  const target = join(dir, path);
  const rel = relative(dir, target);
  if (
    rel === "" || rel.startsWith("..") || rel.split(sep).includes("..") ||
    rel === manifestFileName || rel === writerFileName
  ) {
    throw new FailedError(`backup file path ${JSON.stringify(path)} is not allowed`);
  }
  return target;
}

/** Every file under a folder, relative and `/`-separated. */
async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(join(dir, prefix))) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory) out.push(...await listFiles(dir, rel));
    else if (entry.isFile) out.push(rel);
    else throw new FailedError(`backup folder holds ${JSON.stringify(rel)}, which is not a file`);
  }
  return out;
}

async function writeSynced(path: string, text: string): Promise<void> {
  using file = await Deno.open(path, { write: true, createNew: true, mode: 0o640 });
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) written += await file.write(bytes.subarray(written));
  await file.sync();
}

async function syncFile(path: string): Promise<void> {
  using file = await Deno.open(path, { read: true });
  await file.syncData();
}

/** fsyncs a folder so a rename or new entry survives a crash. */
async function syncDirectory(path: string): Promise<void> {
  try {
    using dir = await Deno.open(path, { read: true });
    await dir.sync();
  } catch (error) {
    throw new FailedError(`could not sync folder ${path}: ${errorMessage(error)}`);
  }
}
