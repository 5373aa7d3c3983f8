import { readBackup, verifyBackup, type VerifyReport } from "../lib/backup/mod.ts";
import { createProgress } from "../lib/output/progress.ts";
import { dropDatabase, restoreIntoNewDatabase } from "../lib/postgres/restore_into_database.ts";
import { postgresAccess } from "../lib/postgres/postgres_access.ts";
import { PostgresGoneError } from "../lib/postgres/postgres_gone.ts";
import type { RestoreTestReport } from "../lib/postgres/restore_test_report.ts";
import { scratchDatabaseName } from "../lib/postgres/scratch_databases.ts";
import { dropLeftScratchDatabases } from "./postgres_restore.ts";
import type { TaskContext } from "../lib/task/task_context.ts";
import { isPhysical } from "./postgres_physical_backup.ts";
import { restoreTestPhysical } from "./postgres_physical_restore_test.ts";

/** What `postgres:verify` returns: the checksum report and, when asked, the restore test. */
export interface PostgresVerifyResult extends VerifyReport {
  path: string;
  restoreTest: RestoreTestReport | null;
}

/**
 * Verifies a postgres backup: every checksum, then with `restoreTest` a
 * restore into a scratch database whose row counts are compared with the
 * manifest; the scratch database is always dropped (by the next run when
 * the server went away meanwhile). Nothing live is touched.
 * @throws {PostgresGoneError} when the server went away: that says nothing about the backup.
 */
export async function verifyPostgres(
  ctx: TaskContext,
  options: { id: string; restoreTest: boolean },
): Promise<PostgresVerifyResult> {
  const service = ctx.service("postgres");
  const backup = await readBackup(ctx.environment.backupDir, "postgres", options.id);
  const progress = createProgress(ctx.output, {
    label: `verifying ${backup.manifest.id}`,
    total: backup.manifest.totalBytes,
  });
  const report = await verifyBackup(backup, (n) => progress.update(n)).finally(() =>
    progress.done()
  );
  const result: PostgresVerifyResult = { ...report, path: backup.path, restoreTest: null };
  if (!options.restoreTest || !report.ok) return result;
  if (isPhysical(backup)) {
    // a base backup is tested as a whole server: a scratch server replayed to its end
    result.restoreTest = await restoreTestPhysical(ctx, backup);
    result.ok = result.ok && result.restoreTest.ok;
    result.problems = [...result.problems, ...result.restoreTest.problems];
    return result;
  }
  const began = performance.now();
  await dropLeftScratchDatabases(ctx);
  const scratch = await scratchDatabaseName("verify");
  ctx.output.info(`restoring ${backup.manifest.id} into the scratch database ${scratch}...`);
  try {
    const restored = await restoreIntoNewDatabase({
      runtime: ctx.runtime,
      service,
      backup,
      database: scratch,
      owner: postgresAccess(service).superuser,
      signal: ctx.signal,
    });
    result.restoreTest = {
      ok: restored.problems.length === 0,
      database: scratch,
      tables: Object.keys(restored.tables).length,
      rows: Object.values(restored.tables).reduce((a, b) => a + b, 0),
      problems: restored.problems,
      durationMs: Math.round(performance.now() - began),
    };
  } catch (error) {
    if (error instanceof PostgresGoneError) {
      throw error.during(`restore backup ${backup.manifest.id} for the restore test`);
    }
    result.restoreTest = {
      ok: false,
      database: scratch,
      tables: 0,
      rows: 0,
      problems: [`restore failed: ${error instanceof Error ? error.message : error}`],
      durationMs: Math.round(performance.now() - began),
    };
  } finally {
    await dropDatabase(ctx.runtime, service, scratch).catch(() => {});
  }
  result.ok = result.ok && result.restoreTest.ok;
  result.problems = [...result.problems, ...result.restoreTest.problems];
  return result;
}
