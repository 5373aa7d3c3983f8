import { join } from "../lib/posix_path.ts";
import { withBackupLock, writeBackup } from "../lib/backup/mod.ts";
import { UsageError } from "../lib/errors.ts";
import { createProgress } from "../lib/output/progress.ts";
import { postgresAccess } from "../lib/postgres/postgres_access.ts";
import { startClient } from "../lib/postgres/run_client.ts";
import { databaseOwner } from "../lib/postgres/restore_into_database.ts";
import { PsqlSession } from "../lib/postgres/superuser_psql.ts";
import { PostgresGoneError } from "../lib/postgres/postgres_gone.ts";
import { parseRowCounts, tableRowCountsSql } from "../lib/postgres/table_row_counts.ts";
import type { TaskContext } from "../lib/task/task_context.ts";

/** Dump formats: one custom-format file (streamed), or a directory (parallel with `jobs`). */
export const postgresBackupFormats = ["custom", "directory"] as const;
/** A dump format. */
export type PostgresBackupFormat = (typeof postgresBackupFormats)[number];

/** Compression pg_dump 15 offers: none, or gzip at a level. */
export const postgresCompressions = [
  "none",
  ...Array.from({ length: 9 }, (_, i) => `gzip-${i + 1}`),
] as const;

/** Options of {@link backupPostgres}. */
export interface PostgresBackupOptions {
  /** Default `custom`. */
  format?: PostgresBackupFormat;
  /** Parallel dump jobs (directory format only). */
  jobs?: number;
  /** `none` or `gzip-1`..`gzip-9` (default `gzip-6`). */
  compression?: string;
  label?: string | undefined;
  /** Database to dump (default: the app database). */
  database?: string;
  /** False when the caller already holds the postgres backup lock (safety backups). */
  lock?: boolean;
  /** Progress label (default `postgres:backup`). */
  progressLabel?: string;
}

/** What `postgres:backup` returns. */
export interface PostgresBackupResult {
  service: "postgres";
  id: string;
  path: string;
  database: string;
  format: PostgresBackupFormat;
  compression: string;
  label: string | null;
  totalBytes: number;
  files: number;
  tables: number;
  rows: number;
  durationMs: number;
}

/** The facts `postgres:backup` records in `details` of its manifest. */
export interface PostgresBackupDetails {
  database: string;
  owner: string;
  /** `app.dump` (custom) or `app.dir` (directory). */
  dump: string;
  format: PostgresBackupFormat;
  /** Exact row counts by `schema.table`, taken in the dump's own snapshot. */
  tables: Record<string, number>;
}

/**
 * Backs up a PostgreSQL database with pg_dump into the catalog. The dump runs
 * in a snapshot exported by a repeatable-read transaction that counts every
 * table's rows meanwhile, so the counts match the dump exactly. Natively
 * pg_dump writes the file (custom) or folder (directory, in parallel with
 * `jobs`) itself and the files are hashed afterwards; in a container its
 * stdout is streamed through SHA-256 into the file.
 * @throws {UsageError} bad options or unknown database; {BusyError} lock held; {FailedError} pg_dump failed.
 */
export async function backupPostgres(
  ctx: TaskContext,
  options: PostgresBackupOptions = {},
): Promise<PostgresBackupResult> {
  const service = ctx.service("postgres");
  const access = postgresAccess(service);
  const format = options.format ?? "custom";
  const compression = options.compression ?? "gzip-6";
  const level = compressionLevel(compression);
  const database = options.database ?? access.database;
  if (options.jobs !== undefined && options.jobs > 1 && format !== "directory") {
    throw new UsageError(
      "--jobs needs the directory format",
      "add --format directory (pg_dump dumps in parallel only into a directory)",
    );
  }
  // the version and owner lookups run while the lock is taken, the catalog's folder is
  // made and the session starts: nothing waits for them before the snapshot is exported
  const lookups = Promise.all([
    pgDumpVersion(ctx, access.bin("pg_dump")),
    databaseOwner(ctx.runtime, service, database),
  ]);
  lookups.catch(() => {}); // awaited in dump(); a busy lock leaves it unread
  const run = () =>
    dump(ctx, lookups, {
      ...options,
      format,
      compression,
      level,
      database,
      jobs: options.jobs ?? 1,
    });
  if (options.lock === false) return await run();
  return await withBackupLock(ctx.environment.backupDir, "postgres", "postgres:backup", run);
}

async function dump(
  ctx: TaskContext,
  lookups: Promise<[toolVersion: string, owner: string | undefined]>,
  o: PostgresBackupOptions & {
    format: PostgresBackupFormat;
    compression: string;
    level: number;
    database: string;
    jobs: number;
  },
): Promise<PostgresBackupResult> {
  const began = performance.now();
  const service = ctx.service("postgres");
  const access = postgresAccess(service);
  const progress = createProgress(ctx.output, { label: o.progressLabel ?? "postgres:backup" });
  const dumpName = o.format === "custom" ? `${o.database}.dump` : `${o.database}.dir`;
  try {
    const entry = await writeBackup({
      backupDir: ctx.environment.backupDir,
      service: "postgres",
      environment: ctx.environment.name,
      label: o.label,
      options: { format: o.format, compression: o.compression, jobs: o.jobs },
      onProgress: (n) => progress.update(n),
    }, async (writer) => {
      // A repeatable-read transaction exports its snapshot to pg_dump and
      // counts the rows in that same snapshot while pg_dump works.
      const session = PsqlSession.open(ctx.runtime, service, o.database);
      try {
        // The counts take one core (no parallel workers), so pg_dump and its server
        // process keep theirs, and compile nothing (JIT spends ~25 ms of CPU on a count
        // it does not speed up). (A lower CPU priority was tried: on a busy machine the
        // counts then starve and the backup waits for them; at nice 10 or 19 on a quiet
        // one they cost the dump as much as at 0.)
        const [looked, recorded, exported] = await Promise.allSettled([
          lookups,
          writer.recordChild(session.pid),
          session.query(
            `begin isolation level repeatable read read only;
             set local max_parallel_workers_per_gather = 0;
             set local jit = off;
             select pg_export_snapshot(), current_setting('server_version')`,
          ),
        ]);
        // a missing database fails the session too: the lookup says so plainly
        if (looked.status === "rejected") throw looked.reason;
        const [toolVersion, owner] = looked.value;
        if (owner === undefined) {
          throw new UsageError(
            `database ${JSON.stringify(o.database)} does not exist`,
            "check the name (the app database is the default)",
          );
        }
        if (recorded.status === "rejected") throw recorded.reason;
        if (exported.status === "rejected") throw exported.reason;
        const [[snapshot = "", serverVersion = ""] = []] = exported.value;
        // Natively pg_dump writes the file itself (a seekable custom-format file also
        // gets its table of contents with data offsets), hashed once pg_dump is done
        // while the counts may still run: no copy of the dump through this process. In a
        // container pg_dump cannot reach the catalog, so its stdout is streamed in.
        const target = join(writer.dir, dumpName);
        const streamed = o.format === "custom" && ctx.environment.runtime !== "native";
        const client = startClient(ctx.runtime, service, [
          access.bin("pg_dump"),
          ...access.superuserArgs,
          "--no-password",
          `--format=${o.format}`,
          `--compress=${o.level}`,
          `--snapshot=${snapshot}`,
          ...(o.format === "directory" ? [`--jobs=${o.jobs}`] : []),
          // the catalog writer fsyncs the file while it hashes it, so pg_dump's own
          // fsync (a wait for every byte to reach the disk) would only come first
          ...(streamed ? [] : [`--file=${target}`, "--no-sync"]),
          o.database,
        ], {
          stdout: streamed ? "piped" : "null",
          signal: ctx.signal,
          attempt: `dump the database ${o.database}`,
        });
        await writer.recordChild(client.child.pid);
        const size = o.format === "custom" ? fileSize : dirSize;
        const poll = streamed
          ? undefined
          : setInterval(() => void size(target).then((n) => progress.update(n)), 1000);
        try {
          const [rows] = await Promise.all([
            session.query(tableRowCountsSql),
            streamed ? writer.addStream(dumpName, client.child.stdout) : Promise.resolve(),
            client.finished.then(() => {
              clearInterval(poll);
              if (o.format === "custom" && !streamed) return writer.addWritten(dumpName);
            }),
          ]);
          await session.query("commit");
          const details: PostgresBackupDetails = {
            database: o.database,
            owner,
            dump: dumpName,
            format: o.format,
            tables: parseRowCounts(rows),
          };
          return { details: { ...details }, serverVersion, toolVersion };
        } catch (error) {
          try {
            client.child.kill("SIGKILL");
          } catch {
            // already exited
          }
          await client.finished.catch(() => {});
          throw error;
        } finally {
          if (poll !== undefined) clearInterval(poll);
        }
      } catch (error) {
        session.kill();
        if (error instanceof PostgresGoneError) throw error.during(`back up ${o.database}`);
        throw error;
      } finally {
        await session.close();
      }
    });
    const details = entry.manifest.details as unknown as PostgresBackupDetails;
    const rows = Object.values(details.tables).reduce((a, b) => a + b, 0);
    return {
      service: "postgres",
      id: entry.manifest.id,
      path: entry.path,
      database: o.database,
      format: o.format,
      compression: o.compression,
      label: entry.manifest.label,
      totalBytes: entry.manifest.totalBytes,
      files: entry.manifest.files.length,
      tables: Object.keys(details.tables).length,
      rows,
      durationMs: Math.round(performance.now() - began),
    };
  } finally {
    progress.done();
  }
}

/** The pg_dump `--compress` level of a compression choice. @throws {UsageError} for an unknown choice. */
export function compressionLevel(choice: string): number {
  if (choice === "none") return 0;
  const m = /^gzip-([1-9])$/.exec(choice);
  if (!m) {
    throw new UsageError(
      `unknown compression ${JSON.stringify(choice)}`,
      `choose one of ${postgresCompressions.join(", ")}`,
    );
  }
  return Number(m[1]);
}

async function pgDumpVersion(ctx: TaskContext, program: string): Promise<string> {
  const child = ctx.runtime.exec(ctx.service("postgres"), [program, "--version"], {
    stdout: "piped",
    stderr: "null",
  });
  const { stdout } = await child.output();
  return new TextDecoder().decode(stdout).trim();
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch {
    return 0; // not created yet
  }
}

async function dirSize(dir: string): Promise<number> {
  let total = 0;
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile) total += (await Deno.stat(join(dir, entry.name))).size;
    }
  } catch {
    // not created yet
  }
  return total;
}
