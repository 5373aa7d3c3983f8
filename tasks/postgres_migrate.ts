import { join } from "../lib/posix_path.ts";
import type { MigrationReport } from "../lib/postgres/migrations.ts";
import { postgresAccess } from "../lib/postgres/postgres_access.ts";
import { servicesDir } from "../lib/project_paths.ts";
import type { Output } from "../lib/output/output.ts";
import type { TaskContext } from "../lib/task/task_context.ts";

/** The folder of the PostgreSQL migration files. */
export const migrationsDir: string = join(servicesDir, "postgres", "migrations");

/** Applies the pending migrations of `services/postgres/migrations` to the app database. */
export async function migratePostgres(
  ctx: TaskContext,
  options: { dryRun: boolean; dir?: string },
): Promise<MigrationReport> {
  const access = postgresAccess(ctx.service("postgres"));
  const { applyMigrations } = await import("../lib/postgres/migrations.ts");
  return await applyMigrations({
    connection: access.app,
    dir: options.dir ?? migrationsDir,
    dryRun: options.dryRun,
  });
}

/** Prints a migration report for a person. */
export function renderMigrations(report: MigrationReport, output: Output): void {
  const pending = report.steps.filter((s) => s.status !== "already applied");
  const done = report.steps.length - pending.length;
  for (const step of pending) {
    output.line(
      `${report.dryRun ? "would apply" : "applied"}  ${
        String(step.version).padStart(3, "0")
      }_${step.name}${report.dryRun ? "" : ` (${step.durationMs} ms)`}`,
    );
  }
  output.line(
    `${report.database}: ${pending.length} migration(s) ${
      report.dryRun ? "pending" : "applied"
    }, ${done} already applied`,
  );
  if (report.missingFiles.length) {
    output.warn(`applied migrations without a file: ${report.missingFiles.join(", ")}`);
  }
}
