import { join } from "../posix_path.ts";
import type { ConfiguredService } from "../config/mod.ts";
import type { BackupEntry } from "../backup/mod.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { postgresAccess } from "./postgres_access.ts";
import { runClient } from "./run_client.ts";
import { ident, superuserQuery } from "./superuser_psql.ts";
import {
  compareRowCounts,
  parseRowCounts,
  type TableRowCounts,
  tableRowCountsSql,
} from "./table_row_counts.ts";

/** A database name the tasks accept: what the service settings accept. */
export const databaseNamePattern: RegExp = /^[a-z_][a-z0-9_]{0,47}$/;

/** The outcome of restoring a dump into a new database. */
export interface ScratchRestore {
  database: string;
  tables: TableRowCounts;
  /** Where the row counts differ from the backup's (empty when they match). */
  problems: string[];
}

/**
 * Creates `database` (owned by `owner`, from template0) and restores a
 * postgres backup into it with pg_restore (exit on the first error), then
 * counts every table's rows and compares them with the manifest. The new
 * database is dropped again when the restore fails (when the server went
 * away, the next run drops it: see scratch_databases.ts).
 * @throws {PostgresGoneError} when the server went away; {FailedError} when pg_restore failed.
 */
export async function restoreIntoNewDatabase(options: {
  runtime: Runtime;
  service: ConfiguredService;
  backup: BackupEntry;
  database: string;
  owner: string;
  jobs?: number;
  signal?: AbortSignal;
}): Promise<ScratchRestore> {
  const { runtime, service, backup, database } = options;
  const access = postgresAccess(service);
  const details = backup.manifest.details as { dump?: string; tables?: TableRowCounts };
  const dump = details.dump ?? backup.manifest.files[0]?.path ?? "";
  await superuserQuery(
    runtime,
    service,
    "postgres",
    `create database ${ident(database)} owner ${ident(options.owner)} template template0`,
  );
  try {
    await runClient(runtime, service, [
      access.bin("pg_restore"),
      ...access.superuserArgs,
      "--no-password",
      "--exit-on-error",
      `--dbname=${database}`,
      ...(options.jobs && options.jobs > 1 ? [`--jobs=${options.jobs}`] : []),
      join(backup.path, dump),
    ], {
      attempt: `restore backup ${backup.manifest.id} into the database ${database}`,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const tables = parseRowCounts(
      await superuserQuery(runtime, service, database, tableRowCountsSql),
    );
    const problems = details.tables ? compareRowCounts(details.tables, tables) : [];
    return { database, tables, problems };
  } catch (error) {
    await dropDatabase(runtime, service, database).catch(() => {});
    throw error;
  }
}

/** Drops a database, ending its sessions first. */
export async function dropDatabase(
  runtime: Runtime,
  service: ConfiguredService,
  database: string,
): Promise<void> {
  await superuserQuery(
    runtime,
    service,
    "postgres",
    `drop database if exists ${ident(database)} with (force)`,
  );
}

/** The owner of a database, or undefined when it does not exist. */
export async function databaseOwner(
  runtime: Runtime,
  service: ConfiguredService,
  database: string,
): Promise<string | undefined> {
  const rows = await superuserQuery(
    runtime,
    service,
    "postgres",
    `select pg_get_userbyid(datdba) from pg_database where datname = '${
      database.replace(/'/g, "''")
    }'`,
  );
  return rows[0]?.[0];
}
