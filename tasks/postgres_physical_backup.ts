import { join } from "../lib/posix_path.ts";
import { type BackupEntry, listBackups, withBackupLock, writeBackup } from "../lib/backup/mod.ts";
import { FailedError, UsageError } from "../lib/errors.ts";
import { createProgress } from "../lib/output/progress.ts";
import { postgresAccess } from "../lib/postgres/postgres_access.ts";
import { startClient } from "../lib/postgres/run_client.ts";
import { PostgresGoneError } from "../lib/postgres/postgres_gone.ts";
import { unpackBaseBackup, verifyUnpacked } from "../lib/postgres/recovery_server.ts";
import { superuserQuery } from "../lib/postgres/superuser_psql.ts";
import type { TaskContext } from "../lib/task/task_context.ts";

/** Compression of a base backup: none, gzip-N, lz4-N or zstd-N (pg_basebackup's client side). */
export const physicalCompressions = [
  "none",
  ...[1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((n) => [`gzip-${n}`, `lz4-${n}`, `zstd-${n}`]),
] as const;

/** The facts a physical backup records in `details` of its manifest. */
export interface PhysicalBackupDetails {
  kind: "physical";
  timeline: number;
  /** The WAL range the backup needs to be consistent (from its backup_manifest). */
  startLsn: string;
  stopLsn: string;
  /** ISO time the backup started and the time by which it was consistent (at the latest). */
  startTime: string;
  stopTime: string;
  /** Files in the backup folder: the data folder's tar, the WAL's tar, pg_basebackup's manifest. */
  base: string;
  wal: string | null;
  backupManifest: string;
  /** Size of the data folder (uncompressed), from the backup_manifest. */
  dataBytes: number;
}

/** What `postgres:backup --physical` returns. */
export interface PhysicalBackupResult {
  service: "postgres";
  id: string;
  path: string;
  kind: "physical";
  label: string | null;
  timeline: number;
  startLsn: string;
  stopLsn: string;
  startTime: string;
  stopTime: string;
  compression: string;
  totalBytes: number;
  dataBytes: number;
  /** True: pg_verifybackup checked the unpacked backup against its backup_manifest. */
  verified: boolean;
  durationMs: number;
}

/** Options of {@link backupPostgresPhysical}. */
export interface PhysicalBackupOptions {
  /** Default `lz4-1`. */
  compression?: string;
  label?: string | undefined;
  /** Skip unpacking the backup once to check it with pg_verifybackup (default false). */
  skipVerify?: boolean;
}

/** True for a catalog entry taken by `postgres:backup --physical`. */
export function isPhysical(entry: BackupEntry): boolean {
  return (entry.manifest.details as { kind?: string }).kind === "physical";
}

/** The physical backups of the catalog, newest first. */
export async function listPhysicalBackups(backupDir: string): Promise<BackupEntry[]> {
  return (await listBackups(backupDir, "postgres")).filter(isPhysical);
}

/**
 * Takes a base backup of the whole server with pg_basebackup (tar format,
 * compressed, with the WAL it needs), then unpacks it once into a scratch
 * folder and checks it against its backup_manifest with pg_verifybackup
 * (PostgreSQL 15's pg_verifybackup reads only unpacked backups). The WAL
 * range and timeline are recorded in the manifest: they tell a restore which
 * archived WAL it replays on top.
 * @throws {UsageError} bad compression; {BusyError} lock held; {FailedError} pg_basebackup or verification failed.
 */
export async function backupPostgresPhysical(
  ctx: TaskContext,
  options: PhysicalBackupOptions = {},
): Promise<PhysicalBackupResult> {
  const compression = options.compression ?? "lz4-1";
  const compress = basebackupCompression(compression);
  return await withBackupLock(
    ctx.environment.backupDir,
    "postgres",
    "postgres:backup --physical",
    () => take(ctx, { ...options, compression, compress }),
  );
}

async function take(
  ctx: TaskContext,
  o: PhysicalBackupOptions & { compression: string; compress: { arg: string; ext: string } },
): Promise<PhysicalBackupResult> {
  const began = performance.now();
  const service = ctx.service("postgres");
  const access = postgresAccess(service);
  const progress = createProgress(ctx.output, { label: "postgres:backup --physical" });
  try {
    const [[serverVersion = ""] = []] = await superuserQuery(
      ctx.runtime,
      service,
      "postgres",
      "select current_setting('server_version')",
    );
    let details: PhysicalBackupDetails | undefined;
    const entry = await writeBackup({
      backupDir: ctx.environment.backupDir,
      service: "postgres",
      environment: ctx.environment.name,
      label: o.label,
      options: { kind: "physical", compression: o.compression },
      onProgress: (n) => progress.update(n),
    }, async (writer) => {
      const startTime = new Date().toISOString();
      const dir = join(writer.dir, "base");
      const client = startClient(ctx.runtime, service, [
        access.bin("pg_basebackup"),
        ...access.superuserArgs,
        "--no-password",
        "-D",
        dir,
        "--format=tar",
        "--wal-method=stream",
        "--checkpoint=fast",
        `--compress=${o.compress.arg}`,
        `--label=hailmary ${writer.id}`,
      ], { signal: ctx.signal, attempt: "take a base backup" });
      await writer.recordChild(client.child.pid);
      const poll = setInterval(() => void dirSize(dir).then((n) => progress.update(n)), 500);
      try {
        await client.finished;
      } catch (error) {
        if (error instanceof PostgresGoneError) throw error.during("take a base backup");
        throw error;
      } finally {
        clearInterval(poll);
      }
      const stopTime = new Date().toISOString();
      const manifestPath = join(dir, "backup_manifest");
      const manifest = JSON.parse(await Deno.readTextFile(manifestPath)) as {
        Files: { Size: number }[];
        "WAL-Ranges": { Timeline: number; "Start-LSN": string; "End-LSN": string }[];
      };
      const range = manifest["WAL-Ranges"].at(-1)!;
      const first = manifest["WAL-Ranges"][0]!;
      details = {
        kind: "physical",
        timeline: range.Timeline,
        startLsn: first["Start-LSN"],
        stopLsn: range["End-LSN"],
        startTime,
        stopTime,
        // PostgreSQL 15 compresses the streamed WAL with gzip only: find what was written
        base: `base/${await findTar(dir, "base.tar")}`,
        wal: `base/${await findTar(dir, "pg_wal.tar")}`,
        backupManifest: "base/backup_manifest",
        dataBytes: manifest.Files.reduce((sum, f) => sum + f.Size, 0),
      };
      if (!o.skipVerify) {
        ctx.output.info("checking the base backup with pg_verifybackup...");
        const scratch = join(writer.dir, "verify");
        const tools = { runtime: ctx.runtime, service, signal: ctx.signal };
        try {
          await unpackBaseBackup(
            tools,
            {
              base: join(writer.dir, details.base),
              wal: join(writer.dir, details.wal!),
            },
            scratch,
            undefined,
          );
          await verifyUnpacked(tools, scratch, manifestPath);
        } finally {
          await Deno.remove(scratch, { recursive: true }).catch(() => {});
        }
      }
      return {
        details: { ...details },
        serverVersion,
        toolVersion: `pg_basebackup ${serverVersion}`,
      };
    });
    const d = details!;
    return {
      service: "postgres",
      id: entry.manifest.id,
      path: entry.path,
      kind: "physical",
      label: entry.manifest.label,
      timeline: d.timeline,
      startLsn: d.startLsn,
      stopLsn: d.stopLsn,
      startTime: d.startTime,
      stopTime: d.stopTime,
      compression: o.compression,
      totalBytes: entry.manifest.totalBytes,
      dataBytes: d.dataBytes,
      verified: !o.skipVerify,
      durationMs: Math.round(performance.now() - began),
    };
  } finally {
    progress.done();
  }
}

/**
 * pg_basebackup's `--compress` value and the file name suffix of a choice.
 * @throws {UsageError} for an unknown choice.
 */
export function basebackupCompression(choice: string): { arg: string; ext: string } {
  if (choice === "none") return { arg: "none", ext: "" };
  const m = /^(gzip|lz4|zstd)-([1-9])$/.exec(choice);
  if (!m) {
    throw new UsageError(
      `unknown compression ${JSON.stringify(choice)} for a physical backup`,
      "choose none, gzip-1..9, lz4-1..9 or zstd-1..9",
    );
  }
  const ext = { gzip: ".gz", lz4: ".lz4", zstd: ".zst" }[m[1] as "gzip" | "lz4" | "zstd"];
  return { arg: `client-${m[1]}:${m[2]}`, ext };
}

/** The file pg_basebackup wrote for `stem` (`base.tar`, `base.tar.lz4`...). */
async function findTar(dir: string, stem: string): Promise<string> {
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name === stem || entry.name.startsWith(`${stem}.`)) return entry.name;
  }
  throw new FailedError(`pg_basebackup wrote no ${stem} into ${dir}`);
}

async function dirSize(dir: string): Promise<number> {
  let total = 0;
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile) {
        total += (await Deno.stat(join(dir, entry.name)).catch(() => ({ size: 0 }))).size;
      }
    }
  } catch {
    // not created yet
  }
  return total;
}
