import { formatBytes } from "../lib/output/format_bytes.ts";
import type { Output } from "../lib/output/output.ts";
import { postgresAccess } from "../lib/postgres/postgres_access.ts";
import { type AnyTask, defineTask } from "../lib/task/define_task.ts";
import type { TaskContext } from "../lib/task/task_context.ts";
import { renderVerify } from "./backup_catalog.ts";
import {
  backupPostgres,
  postgresBackupFormats,
  type PostgresBackupResult,
  postgresCompressions,
} from "./postgres_backup.ts";
import {
  backupPostgresPhysical,
  type PhysicalBackupResult,
  physicalCompressions,
} from "./postgres_physical_backup.ts";
import { type DbResetResult, resetPostgresDatabase } from "./postgres_db_reset.ts";
import { migratePostgres, renderMigrations } from "./postgres_migrate.ts";
import { type PostgresRestoreResult, restorePostgres } from "./postgres_restore.ts";
import { type PitrRestoreResult, restorePostgresToPoint } from "./postgres_pitr_restore.ts";
import { describeTarget, parseRecoveryTarget } from "./postgres_recovery_target.ts";
import { UsageError } from "../lib/errors.ts";
import { postgresPitrTasks, renderWalVerify, verifyWal } from "./postgres_pitr.ts";
import { type PostgresVerifyResult, verifyPostgres } from "./postgres_verify.ts";

export { backupPostgres, type PostgresBackupOptions } from "./postgres_backup.ts";
export type { PostgresBackupResult } from "./postgres_backup.ts";
export { type PostgresRestoreOptions, restorePostgres } from "./postgres_restore.ts";
export type { PostgresRestoreResult } from "./postgres_restore.ts";
export { verifyPostgres } from "./postgres_verify.ts";
export { migratePostgres, migrationsDir } from "./postgres_migrate.ts";
export { resetPostgresDatabase } from "./postgres_db_reset.ts";

/** What `postgres:psql` returns: psql's own exit status. */
export interface PsqlResult {
  exitCode: number;
}

/**
 * Runs psql connected to the app database as the app user over TCP; the
 * password travels in PGPASSWORD, never on the command line. Terminal and
 * pipes are psql's own.
 */
export async function runPsql(ctx: TaskContext, args: string[]): Promise<PsqlResult> {
  const service = ctx.service("postgres");
  const access = postgresAccess(service);
  const child = ctx.runtime.exec(service, [access.bin("psql"), ...args], {
    env: access.appEnv,
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  });
  const status = await child.status;
  return { exitCode: status.code };
}

function renderBackup(result: PostgresBackupResult, output: Output): void {
  output.line(
    `postgres backup ${result.id}: ${result.database}, ${result.tables} table(s), ${result.rows} row(s), ${
      formatBytes(result.totalBytes)
    } (${result.format}, ${result.compression}) in ${(result.durationMs / 1000).toFixed(1)} s`,
  );
  output.line(`  ${result.path}`);
}

function renderPhysicalBackup(result: PhysicalBackupResult, output: Output): void {
  output.line(
    `postgres base backup ${result.id}: ${formatBytes(result.dataBytes)} of data in ${
      formatBytes(result.totalBytes)
    } (${result.compression}), WAL ${result.startLsn} to ${result.stopLsn} on timeline ${result.timeline}${
      result.verified ? ", checked with pg_verifybackup" : ""
    }, in ${(result.durationMs / 1000).toFixed(1)} s`,
  );
  output.line(`  ${result.path}`);
}

function renderRestore(result: PostgresRestoreResult, output: Output): void {
  output.line(
    `restored postgres backup ${result.id} ${
      result.replaced ? "over" : "into the new database"
    } ${result.database}: ${result.tables} table(s), ${result.rows} row(s), row counts match, in ${
      (result.durationMs / 1000).toFixed(1)
    } s`,
  );
  if (result.safetyBackupId) {
    output.line(`  safety backup of the previous data: ${result.safetyBackupId}`);
  }
}

function renderPitrRestore(result: PitrRestoreResult, output: Output): void {
  output.line(
    `restored base backup ${result.baseBackupId} replayed to ${
      describeTarget(result.target)
    }: stopped at ${result.replayedToLsn}${
      result.lastTransactionAt ? `, last transaction ${result.lastTransactionAt}` : ""
    }, now on timeline ${result.timeline}, in ${(result.durationMs / 1000).toFixed(1)} s`,
  );
  if (result.mode === "beside") {
    output.line(
      `  a separate server runs on port ${result.port} with its data in ${result.dataDir} (${
        result.container ? `container ${result.container}` : `pid ${result.pid}`
      }); the live server was not touched`,
    );
  } else if (result.safetyCopy) {
    output.line(`  the previous data folder is kept as ${result.safetyCopy}`);
  }
}

function renderPostgresVerify(result: PostgresVerifyResult, output: Output): void {
  renderVerify({ ...result, problems: result.problems }, output);
  const test = result.restoreTest;
  if (!test) return;
  output.line(
    test.ok
      ? `${
        output.style("ok", "green")
      }  restore test: ${test.tables} table(s), ${test.rows} row(s) restored into a scratch database, row counts match the manifest (${
        (test.durationMs / 1000).toFixed(1)
      } s)`
      : `${output.style("FAILED", "red")}  restore test: ${test.problems.length} problem(s)`,
  );
}

function renderReset(result: DbResetResult, output: Output): void {
  if (result.safetyBackupId) output.line(`safety backup: ${result.safetyBackupId}`);
  output.line(`database ${result.database} was dropped and recreated`);
  renderMigrations(result.migrations, output);
}

/** The PostgreSQL data tasks: backup, restore, verify, migrate, db-reset and psql. */
export function postgresTasks(): AnyTask[] {
  const service = "postgres";
  const backup = defineTask({
    id: "postgres:backup",
    summary:
      "Back up the app database with pg_dump into the catalog (checksummed, with row counts)",
    service,
    action: "backup",
    permissions: "ops",
    // reads the server and writes only the catalog: the environment snapshot is enough
    snapshotSuffices: true,
    options: {
      format: {
        type: "string",
        description: "custom (one file) or directory (parallel with --jobs)",
        choices: postgresBackupFormats,
        default: "custom",
      },
      jobs: {
        type: "number",
        description: "parallel pg_dump jobs (directory format)",
        min: 1,
        integer: true,
        placeholder: "N",
      },
      compression: {
        type: "string",
        description:
          "dump compression (default gzip-6); --physical also lz4-N, zstd-N (default lz4-1)",
        choices: [...new Set([...postgresCompressions, ...physicalCompressions])],
      },
      physical: {
        type: "boolean",
        description:
          "a base backup of the whole server (pg_basebackup, checked with pg_verifybackup) for point-in-time restores",
        default: false,
      },
      label: { type: "string", description: "a note kept in the manifest", placeholder: "TEXT" },
      database: {
        type: "string",
        description: "database to dump (default: the app database)",
        placeholder: "DB",
      },
    },
    run: (ctx, { options }): Promise<PostgresBackupResult | PhysicalBackupResult> => {
      if (options.physical) {
        return backupPostgresPhysical(ctx, {
          label: options.label,
          ...(options.compression !== undefined ? { compression: options.compression } : {}),
        });
      }
      return backupPostgres(ctx, {
        format: options.format as "custom" | "directory",
        compression: options.compression ?? "gzip-6",
        label: options.label,
        ...(options.jobs !== undefined ? { jobs: options.jobs } : {}),
        ...(options.database !== undefined ? { database: options.database } : {}),
      });
    },
    render: (result, output) =>
      "kind" in result ? renderPhysicalBackup(result, output) : renderBackup(result, output),
  });
  const restore = defineTask({
    id: "postgres:restore",
    summary:
      "Restore a pg_dump backup, or the whole server to a point in time (--to-time, --to-lsn, --latest)",
    service,
    action: "restore",
    permissions: "ops",
    dangerous: true,
    args: [{
      name: "id",
      description:
        "backup id, or latest (with a point in time: the base backup, default the newest before it)",
    }],
    options: {
      target: {
        type: "string",
        description: "database to restore into (default: the one backed up)",
        placeholder: "DB",
      },
      "no-safety-backup": {
        type: "boolean",
        description: "skip the backup of the current data taken first",
        default: false,
      },
      jobs: {
        type: "number",
        description: "parallel pg_restore jobs",
        min: 1,
        integer: true,
        placeholder: "N",
      },
      "to-time": {
        type: "string",
        description: "replay the WAL archive up to this time (ISO, e.g. 2026-11-29T10:14:00Z)",
        placeholder: "TIME",
      },
      "to-lsn": {
        type: "string",
        description: "replay the WAL archive up to this LSN (e.g. 0/3000060)",
        placeholder: "LSN",
      },
      latest: {
        type: "boolean",
        description: "replay the whole WAL archive (the last archived commit)",
        default: false,
      },
      port: {
        type: "number",
        description:
          "restore into a separate server on this port (with --target-dir); the live one is untouched",
        min: 1,
        integer: true,
        placeholder: "N",
      },
      "target-dir": {
        type: "string",
        description: "data folder of that separate server (new or empty)",
        placeholder: "DIR",
        output: true,
      },
    },
    run: (ctx, { options, args }): Promise<PostgresRestoreResult | PitrRestoreResult> => {
      const target = parseRecoveryTarget({
        toTime: options["to-time"],
        toLsn: options["to-lsn"],
        latest: options.latest,
      });
      if (target) {
        return restorePostgresToPoint(ctx, {
          target,
          id: args[0],
          port: options.port,
          targetDir: options["target-dir"],
        });
      }
      if (options.port !== undefined || options["target-dir"] !== undefined) {
        throw new UsageError(
          "--port and --target-dir restore a point in time",
          "add --to-time TIME, --to-lsn LSN or --latest",
        );
      }
      if (args[0] === undefined) {
        throw new UsageError(
          "postgres:restore needs a backup id or a point in time",
          "give an id (./ops postgres:backups lists them), or --to-time, --to-lsn or --latest",
        );
      }
      return restorePostgres(ctx, {
        id: args[0],
        target: options.target,
        safetyBackup: !options["no-safety-backup"],
        jobs: options.jobs,
      });
    },
    render: (result, output) =>
      "baseBackupId" in result ? renderPitrRestore(result, output) : renderRestore(result, output),
  });
  const verify = defineTask({
    id: "postgres:verify",
    summary:
      "Re-check every checksum of a postgres backup (--restore-test: restore it aside); --wal: the WAL archive",
    service,
    action: "verify",
    permissions: "ops",
    args: [{ name: "id", description: "backup id, or latest (not with --wal)" }],
    options: {
      "restore-test": {
        type: "boolean",
        description:
          "restore into a scratch database (a base backup: a scratch server) and compare row counts, then drop it",
        default: false,
      },
      wal: {
        type: "boolean",
        description: "re-check every archived WAL file against its sha256 and look for gaps",
        default: false,
      },
    },
    run: async (ctx, { options, args }) => {
      if (options.wal) {
        if (args[0] !== undefined) {
          throw new UsageError("--wal checks the whole WAL archive", "leave out the backup id");
        }
        return await verifyWal(ctx);
      }
      if (args[0] === undefined) {
        throw new UsageError("postgres:verify needs a backup id", "give one, or latest, or --wal");
      }
      return await verifyPostgres(ctx, { id: args[0], restoreTest: options["restore-test"] });
    },
    render: (result, output) =>
      "gaps" in result ? renderWalVerify(result, output) : renderPostgresVerify(result, output),
    exitCode: (result) => (result.ok ? 0 : 1),
  });
  const migrate = defineTask({
    id: "postgres:migrate",
    summary: "Apply pending SQL migrations (services/postgres/migrations), one transaction each",
    service,
    action: "migrate",
    permissions: "ops",
    options: {
      "dry-run": {
        type: "boolean",
        description: "list the pending migrations, change nothing",
        default: false,
      },
    },
    run: (ctx, { options }) => migratePostgres(ctx, { dryRun: options["dry-run"] }),
    render: renderMigrations,
  });
  const dbReset = defineTask({
    id: "postgres:db-reset",
    summary: "Drop and recreate the app database, then apply the migrations (safety backup first)",
    service,
    action: "db-reset",
    permissions: "ops",
    dangerous: true,
    options: {
      "no-safety-backup": {
        type: "boolean",
        description: "skip the backup of the current data taken first",
        default: false,
      },
    },
    run: (ctx, { options }) =>
      resetPostgresDatabase(ctx, { safetyBackup: !options["no-safety-backup"] }),
    render: renderReset,
  });
  const psql = defineTask({
    id: "postgres:psql",
    summary: "Open psql on the app database as the app user (extra arguments go to psql)",
    service,
    action: "psql",
    permissions: "ops",
    passThrough: true,
    args: [{
      name: "psql-args",
      description: 'arguments for psql, e.g. -c "select 1"',
      variadic: true,
    }],
    options: {},
    run: (ctx, { args }) => runPsql(ctx, args),
    exitCode: (result) => (result.exitCode === 0 ? 0 : 1),
  });
  return [backup, restore, verify, migrate, dbReset, psql, ...postgresPitrTasks()];
}
