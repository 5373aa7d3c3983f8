import { join } from "../path.ts";
import type { ConfiguredService } from "../config/mod.ts";
import type { BackupEntry } from "../backup/mod.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { postgresAccess } from "./postgres_access.ts";
import { runClient } from "./run_client.ts";
import { withSuperuser } from "./superuser_sql.ts";
import { compareRowCounts, type TableRowCounts, tableRowCounts } from "./table_row_counts.ts";

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
 * database is dropped again when the restore fails.
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
  const { service, backup, database } = options;
  const access = postgresAccess(service);
  const details = backup.manifest.details as { dump?: string; tables?: TableRowCounts };
  const dump = details.dump ?? backup.manifest.files[0]?.path ?? "";
  await withSuperuser(service, "postgres", async (sql) => {
    await sql.unsafe(
      `create database ${ident(database)} owner ${ident(options.owner)} template template0`,
    );
  });
  try {
    await runClient(options.runtime, service, [
      access.bin("pg_restore"),
      ...access.superuserArgs,
      "--no-password",
      "--exit-on-error",
      `--dbname=${database}`,
      ...(options.jobs && options.jobs > 1 ? [`--jobs=${options.jobs}`] : []),
      join(backup.path, dump),
    ], options.signal ? { signal: options.signal } : {});
    const tables = await withSuperuser(service, database, (sql) => tableRowCounts(sql));
    const problems = details.tables ? compareRowCounts(details.tables, tables) : [];
    return { database, tables, problems };
  } catch (error) {
    await dropDatabase(service, database).catch(() => {});
    throw error;
  }
}

/** Drops a database, ending its sessions first. */
export async function dropDatabase(service: ConfiguredService, database: string): Promise<void> {
  await withSuperuser(service, "postgres", async (sql) => {
    await sql.unsafe(`drop database if exists ${ident(database)} with (force)`);
  });
}

/** A quoted SQL identifier. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
