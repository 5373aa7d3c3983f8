import { join } from "../lib/posix_path.ts";
import { withBackupLock } from "../lib/backup/mod.ts";
import type { MigrationReport } from "../lib/postgres/migrations.ts";
import { postgresAccess } from "../lib/postgres/postgres_access.ts";
import { databaseOwner, dropDatabase } from "../lib/postgres/restore_into_database.ts";
import { runClient } from "../lib/postgres/run_client.ts";
import { servicesDir } from "../lib/project_paths.ts";
import type { TaskContext } from "../lib/task/task_context.ts";
import { backupPostgres } from "./postgres_backup.ts";
import { migratePostgres } from "./postgres_migrate.ts";

/** What `postgres:db-reset` returns. */
export interface DbResetResult {
  database: string;
  safetyBackupId: string | null;
  migrations: MigrationReport;
}

/**
 * Drops and recreates the app database: confirmation (typing its name on a
 * terminal), a safety backup unless refused, the init SQL of
 * `services/postgres/init` (role, database, extensions), then the migrations.
 */
export async function resetPostgresDatabase(
  ctx: TaskContext,
  options: { safetyBackup: boolean },
): Promise<DbResetResult> {
  const service = ctx.service("postgres");
  const access = postgresAccess(service);
  const database = access.database;
  await ctx.confirm(`drop and recreate the database ${JSON.stringify(database)}`, {
    typed: database,
  });
  return await withBackupLock(
    ctx.environment.backupDir,
    "postgres",
    "postgres:db-reset",
    async () => {
      const exists = (await databaseOwner(ctx.runtime, service, database)) !== undefined;
      let safetyBackupId: string | null = null;
      if (exists && options.safetyBackup) {
        ctx.output.info(`taking a safety backup of ${database} first...`);
        safetyBackupId = (await backupPostgres(ctx, {
          label: "safety before db-reset",
          lock: false,
          progressLabel: "safety backup",
        })).id;
      }
      await dropDatabase(ctx.runtime, service, database);
      const initDir = join(servicesDir, "postgres", "init");
      const files = (await Array.fromAsync(Deno.readDir(initDir)))
        .filter((e) => e.isFile && e.name.endsWith(".sql")).map((e) => e.name).sort();
      for (const file of files) {
        await runClient(ctx.runtime, service, [
          access.bin("psql"),
          "-X",
          "-q",
          "-v",
          "ON_ERROR_STOP=1",
          ...access.superuserArgs,
          "-d",
          "postgres",
          "-f",
          join(initDir, file),
        ], {
          env: {
            HAILMARY_APP_USER: access.app.user,
            HAILMARY_APP_DATABASE: database,
            HAILMARY_APP_PASSWORD: access.app.password ?? "",
          },
        });
      }
      const migrations = await migratePostgres(ctx, { dryRun: false });
      return { database, safetyBackupId, migrations };
    },
  );
}
