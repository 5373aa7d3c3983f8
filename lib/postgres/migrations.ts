import { createHash } from "node:crypto";
import { join } from "../posix_path.ts";
import { errorMessage, FailedError, UsageError } from "../errors.ts";
import type { Sql } from "postgres";

/** How the migration runner reaches the database (as the app user, so it owns what it creates). */
export interface PostgresConnection {
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  database: string;
}

/** One migration file. */
export interface MigrationFile {
  version: number;
  name: string;
  file: string;
  checksum: string;
}

/** What happened to one migration. */
export interface MigrationStep {
  version: number;
  name: string;
  /** `applied` now, `pending` (dry run), `already applied`. */
  status: "applied" | "pending" | "already applied";
  durationMs: number;
}

/** The result of {@link applyMigrations}. */
export interface MigrationReport {
  database: string;
  dryRun: boolean;
  steps: MigrationStep[];
  /** Versions recorded as applied whose file is gone (reported, not an error). */
  missingFiles: number[];
}

/** Name of the tracking table. */
export const migrationsTable = "ops_schema_migrations";

const fileNamePattern = /^(\d{3,})_([a-z0-9][a-z0-9_-]*)\.sql$/;

/** An arbitrary but fixed key for the advisory lock that keeps two runners apart. */
const advisoryLockKey = 4_815_162_342;

/**
 * Reads the migration files of a folder (`NNN_name.sql`), ordered by version.
 * @throws {UsageError} for a file name that does not fit or two files with one version.
 */
export async function readMigrationFiles(dir: string): Promise<MigrationFile[]> {
  const files: MigrationFile[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return files;
    throw error;
  }
  for (const entry of entries) {
    if (!entry.isFile || entry.name.startsWith(".") || entry.name.endsWith(".md")) continue;
    const match = fileNamePattern.exec(entry.name);
    if (!match) {
      throw new UsageError(
        `migration file ${JSON.stringify(entry.name)} does not fit NNN_name.sql`,
        `rename it, e.g. 001_documents.sql (in ${dir})`,
      );
    }
    const text = await Deno.readTextFile(join(dir, entry.name));
    files.push({
      version: Number(match[1]),
      name: match[2]!,
      file: join(dir, entry.name),
      checksum: createHash("sha256").update(text).digest("hex"),
    });
  }
  files.sort((a, b) => a.version - b.version);
  for (let i = 1; i < files.length; i++) {
    if (files[i]!.version === files[i - 1]!.version) {
      throw new UsageError(
        `two migration files have version ${files[i]!.version}: ${
          JSON.stringify(files[i - 1]!.file)
        } and ${JSON.stringify(files[i]!.file)}`,
        "give each file its own number",
      );
    }
  }
  return files;
}

/**
 * Applies the pending migrations of `dir` in version order, each in its own
 * transaction together with its row in `ops_schema_migrations`. A session
 * advisory lock keeps two runners apart. With `dryRun` nothing is changed.
 * @throws {UsageError} when an applied migration's file changed (checksum differs).
 * @throws {FailedError} when a migration fails (that migration is rolled back; earlier ones stay).
 */
export async function applyMigrations(options: {
  connection: PostgresConnection;
  dir: string;
  dryRun: boolean;
  onStep?: (step: MigrationStep) => void;
}): Promise<MigrationReport> {
  const files = await readMigrationFiles(options.dir);
  const { default: postgres } = await import("postgres");
  const c = options.connection;
  const sql = postgres({
    host: c.host,
    port: c.port,
    user: c.user,
    ...(c.password === undefined ? {} : { password: c.password }),
    database: c.database,
    max: 1,
    onnotice: () => {},
    connect_timeout: 10,
  });
  const report: MigrationReport = {
    database: c.database,
    dryRun: options.dryRun,
    steps: [],
    missingFiles: [],
  };
  try {
    await sql`select pg_advisory_lock(${advisoryLockKey})`;
    if (!options.dryRun) {
      await sql.unsafe(`create table if not exists ${migrationsTable} (
        version integer primary key,
        name text not null,
        checksum text not null,
        applied_at timestamptz not null default now()
      )`);
    }
    const applied = await appliedMigrations(sql);
    for (const file of files) {
      const done = applied.get(file.version);
      if (done && done.checksum !== file.checksum) {
        throw new UsageError(
          `migration ${file.version} (${done.name}) was applied with another content: ${file.file} has changed since`,
          "restore the applied content and put the change in a new migration file",
        );
      }
    }
    report.missingFiles = [...applied.keys()].filter((v) => !files.some((f) => f.version === v));
    for (const file of files) {
      if (applied.has(file.version)) {
        report.steps.push({
          version: file.version,
          name: file.name,
          status: "already applied",
          durationMs: 0,
        });
        continue;
      }
      const began = performance.now();
      if (!options.dryRun) {
        const text = await Deno.readTextFile(file.file);
        try {
          await sql.begin(async (tx) => {
            await tx.unsafe(text).simple();
            await tx`insert into ${tx(migrationsTable)} (version, name, checksum)
              values (${file.version}, ${file.name}, ${file.checksum})`;
          });
        } catch (error) {
          throw new FailedError(
            `migration ${file.version}_${file.name} failed and was rolled back: ${
              errorMessage(error)
            }`,
            { hint: `fix ${file.file} and run postgres:migrate again` },
          );
        }
      }
      const step: MigrationStep = {
        version: file.version,
        name: file.name,
        status: options.dryRun ? "pending" : "applied",
        durationMs: Math.round(performance.now() - began),
      };
      report.steps.push(step);
      options.onStep?.(step);
    }
    return report;
  } catch (error) {
    if (error instanceof UsageError || error instanceof FailedError) throw error;
    throw new FailedError(
      `could not migrate ${JSON.stringify(c.database)} on ${c.host}:${c.port}: ${
        errorMessage(error)
      }`,
      { hint: "is postgres running? ./ops status" },
    );
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function appliedMigrations(
  sql: Sql,
): Promise<Map<number, { name: string; checksum: string }>> {
  const [exists] = await sql`select to_regclass(${migrationsTable}) is not null as present`;
  const out = new Map<number, { name: string; checksum: string }>();
  if (!exists?.present) return out;
  const rows = await sql`select version, name, checksum from ${sql(migrationsTable)}`;
  for (const row of rows) {
    out.set(Number(row.version), { name: String(row.name), checksum: String(row.checksum) });
  }
  return out;
}
