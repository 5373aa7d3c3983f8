import { readBackup, withBackupLock } from "../lib/backup/mod.ts";
import { assertBackupIntact } from "./assert_backup_intact.ts";
import { errorMessage, FailedError, UsageError } from "../lib/errors.ts";
import { PostgresGoneError } from "../lib/postgres/postgres_gone.ts";
import { postgresAccess } from "../lib/postgres/postgres_access.ts";
import {
  databaseNamePattern,
  databaseOwner,
  dropDatabase,
  restoreIntoNewDatabase,
} from "../lib/postgres/restore_into_database.ts";
import { ident, literal, superuserQuery } from "../lib/postgres/superuser_psql.ts";
import { removeStale } from "../lib/leftovers/mod.ts";
import { findScratchDatabases, scratchDatabaseName } from "../lib/postgres/scratch_databases.ts";
import type { TaskContext } from "../lib/task/task_context.ts";
import { backupPostgres } from "./postgres_backup.ts";

/** Options of {@link restorePostgres}. */
export interface PostgresRestoreOptions {
  /** Backup id (or `latest`). */
  id: string;
  /** Database to restore into (default: the database the backup was taken of). */
  target?: string | undefined;
  /** Take a backup of the target first (default true). */
  safetyBackup?: boolean;
  /** Parallel pg_restore jobs. */
  jobs?: number | undefined;
  /** False when the caller already holds the postgres backup lock. */
  lock?: boolean;
  /** Ask with ctx.confirm after verification (default true; a backup set confirms once for all). */
  confirm?: boolean;
}

/** What `postgres:restore` returns. */
export interface PostgresRestoreResult {
  service: "postgres";
  id: string;
  database: string;
  /** True when an existing database was replaced, false when it was created. */
  replaced: boolean;
  safetyBackupId: string | null;
  tables: number;
  rows: number;
  durationMs: number;
}

/**
 * Restores a postgres backup: checksums first (nothing is touched when one
 * fails), confirmation, a safety backup of the target, then pg_restore into a
 * new database whose row counts are compared with the manifest; only then is
 * it swapped in for the target by rename (the old one is dropped). A failed
 * restore leaves the live database as it was. Scratch databases left by
 * earlier runs that died (their process is gone) are dropped first.
 * @throws {UsageError} unknown id, bad target, not confirmed; {FailedError} damaged backup or restore failure; {BusyError} lock held.
 */
export async function restorePostgres(
  ctx: TaskContext,
  options: PostgresRestoreOptions,
): Promise<PostgresRestoreResult> {
  const began = performance.now();
  const service = ctx.service("postgres");
  const access = postgresAccess(service);
  const backup = await readBackup(ctx.environment.backupDir, "postgres", options.id);
  const details = backup.manifest.details as { database?: string; owner?: string };
  const target = options.target ?? details.database ?? access.database;
  if (!databaseNamePattern.test(target)) {
    throw new UsageError(
      `database name ${JSON.stringify(target)} is not allowed`,
      "use lower-case letters, digits and '_' (at most 48 characters)",
    );
  }
  await assertBackupIntact(ctx, backup);
  const existingOwner = await databaseOwner(ctx.runtime, service, target);
  const existing = existingOwner === undefined ? undefined : { owner: existingOwner };
  if (options.confirm !== false) {
    await ctx.confirm(
      existing
        ? `replace database ${JSON.stringify(target)} with postgres backup ${backup.manifest.id}`
        : `restore postgres backup ${backup.manifest.id} into the new database ${
          JSON.stringify(target)
        }`,
    );
  }
  const run = async (): Promise<PostgresRestoreResult> => {
    await dropLeftScratchDatabases(ctx);
    let safetyBackupId: string | null = null;
    if (existing && options.safetyBackup !== false) {
      ctx.output.info(`taking a safety backup of ${target} first...`);
      const safety = await backupPostgres(ctx, {
        database: target,
        label: `safety before restore of ${backup.manifest.id}`,
        lock: false,
        progressLabel: "safety backup",
      });
      safetyBackupId = safety.id;
    }
    const scratch = await scratchDatabaseName("restore");
    ctx.output.info(`restoring ${backup.manifest.id} into ${scratch}...`);
    const restored = await restoreIntoNewDatabase({
      runtime: ctx.runtime,
      service,
      backup,
      database: scratch,
      owner: existing?.owner ?? details.owner ?? access.app.user,
      ...(options.jobs ? { jobs: options.jobs } : {}),
      signal: ctx.signal,
    });
    if (restored.problems.length) {
      await dropDatabase(ctx.runtime, service, scratch).catch(() => {});
      throw new FailedError(
        `the restored data does not match backup ${backup.manifest.id}, ${target} was left as it was:\n    ${
          restored.problems.join("\n    ")
        }`,
      );
    }
    await swapIn(ctx, scratch, target, existing !== undefined);
    return {
      service: "postgres",
      id: backup.manifest.id,
      database: target,
      replaced: existing !== undefined,
      safetyBackupId,
      tables: Object.keys(restored.tables).length,
      rows: Object.values(restored.tables).reduce((a, b) => a + b, 0),
      durationMs: Math.round(performance.now() - began),
    };
  };
  if (options.lock === false) return await run();
  return await withBackupLock(ctx.environment.backupDir, "postgres", "postgres:restore", run);
}

/** Drops the scratch databases of earlier restores and restore tests whose process is gone. */
export async function dropLeftScratchDatabases(ctx: TaskContext): Promise<void> {
  const service = ctx.service("postgres");
  const removed = await removeStale(await findScratchDatabases(ctx.runtime, service));
  if (removed.length > 0) {
    ctx.output.info(`dropped scratch databases of interrupted runs: ${removed.join(", ")}`);
  }
}

/**
 * Puts the restored database in place of the target: no new connections,
 * end the open ones, then in one transaction rename the old one aside and the
 * new one in (so the target is never missing, even when the server dies
 * between), then drop the old one. When the renames fail, the target is given
 * back its connections.
 */
async function swapIn(
  ctx: TaskContext,
  scratch: string,
  target: string,
  replace: boolean,
): Promise<void> {
  const service = ctx.service("postgres");
  const sql = (text: string) => superuserQuery(ctx.runtime, service, "postgres", text);
  const old = await scratchDatabaseName("old");
  if (replace) {
    await sql(`alter database ${ident(target)} with allow_connections false`);
    try {
      await sql(`select pg_terminate_backend(pid) from pg_stat_activity
        where datname = ${literal(target)} and pid <> pg_backend_pid()`);
      await waitNoSessions(sql, target);
    } catch (error) {
      await sql(`alter database ${ident(target)} with allow_connections true`).catch(() => {});
      await sql(`drop database if exists ${ident(scratch)} with (force)`).catch(() => {});
      if (error instanceof PostgresGoneError) throw error.during(`replace ${target}`);
      throw new FailedError(
        `could not take ${JSON.stringify(target)} offline to replace it; it was left as it was: ${
          errorMessage(error)
        }`,
      );
    }
  }
  try {
    await sql(
      replace
        ? `begin;
           alter database ${ident(target)} rename to ${ident(old)};
           alter database ${ident(scratch)} rename to ${ident(target)};
           commit`
        : `alter database ${ident(scratch)} rename to ${ident(target)}`,
    );
  } catch (error) {
    if (replace) {
      await sql(`alter database ${ident(target)} with allow_connections true`).catch(() => {});
    }
    await sql(`drop database if exists ${ident(scratch)} with (force)`).catch(() => {});
    if (error instanceof PostgresGoneError) throw error.during(`replace ${target}`);
    throw new FailedError(
      `could not put the restored database in place; ${
        JSON.stringify(target)
      } was left as it was: ${errorMessage(error)}`,
    );
  }
  if (replace) await sql(`drop database ${ident(old)} with (force)`);
}

async function waitNoSessions(
  sql: (text: string) => Promise<string[][]>,
  database: string,
): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const [[n = "0"] = []] = await sql(
      `select count(*) from pg_stat_activity where datname = ${literal(database)}`,
    );
    if (n === "0") return;
    await new Promise((r) => setTimeout(r, 100));
  }
}
