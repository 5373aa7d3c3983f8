import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadEnvironment } from "../../../lib/config/mod.ts";
import { UsageError } from "../../../lib/errors.ts";
import { join } from "../../../lib/posix_path.ts";
import { applyMigrations, type PostgresConnection } from "../../../lib/postgres/migrations.ts";
import { postgresAccess } from "../../../lib/postgres/postgres_access.ts";
import {
  type BackupTestEnv,
  backupTestEnv,
  createTestDatabase,
  dropTestDatabases,
  superuserSql,
} from "../../helpers/backup_test_env.ts";
import { sharedStackEnv } from "../../helpers/shared_stack.ts";

const prefix = "pgmigr";
let env: BackupTestEnv;
let app: PostgresConnection;

beforeAll(async () => {
  env = await backupTestEnv(sharedStackEnv(), "pgmigrations");
  const environment = await loadEnvironment(env.file);
  app = postgresAccess(environment.services.find((s) => s.definition.name === "postgres")!).app;
});

afterAll(async () => {
  await dropTestDatabases(env, prefix);
  await env.remove();
});

/** A new database and an empty migrations folder for one test. */
async function fresh(): Promise<{ connection: PostgresConnection; dir: string; db: string }> {
  const db = await createTestDatabase(env, prefix);
  const dir = await Deno.makeTempDir({ prefix: "migrations-" });
  return { connection: { ...app, database: db }, dir, db };
}

async function query<T>(db: string, text: string): Promise<T[]> {
  const sql = superuserSql(env, db);
  try {
    return [...await sql.unsafe(text)] as T[];
  } finally {
    await sql.end();
  }
}

describe("applyMigrations on a real server", () => {
  it("applies files in version order, each tracked with its checksum, as the app user", async () => {
    const { connection, dir, db } = await fresh();
    // written out of order; 010 must run after 002 (numeric, not lexical by chance)
    await Deno.writeTextFile(
      join(dir, "010_add_column.sql"),
      "alter table docs add column body text;",
    );
    await Deno.writeTextFile(
      join(dir, "001_docs.sql"),
      "create table docs (id int primary key);\ninsert into docs values (1);",
    );
    await Deno.writeTextFile(join(dir, "002_more.sql"), "insert into docs values (2);");
    const report = await applyMigrations({ connection, dir, dryRun: false });
    expect(report.steps.map((s) => [s.version, s.name, s.status])).toEqual([
      [1, "docs", "applied"],
      [2, "more", "applied"],
      [10, "add_column", "applied"],
    ]);
    const tracked = await query<{ version: number; name: string; checksum: string }>(
      db,
      "select version, name, checksum from ops_schema_migrations order by version",
    );
    expect(tracked.map((t) => [t.version, t.name])).toEqual([[1, "docs"], [2, "more"], [
      10,
      "add_column",
    ]]);
    expect(tracked.every((t) => /^[0-9a-f]{64}$/.test(t.checksum))).toBe(true);
    const [owner] = await query<{ owner: string }>(
      db,
      "select tableowner as owner from pg_tables where tablename = 'docs'",
    );
    expect(owner?.owner).toBe("app");
    const columns = await query<{ column_name: string }>(
      db,
      "select column_name from information_schema.columns where table_name = 'docs' order by 1",
    );
    expect(columns.map((c) => c.column_name)).toEqual(["body", "id"]);

    const again = await applyMigrations({ connection, dir, dryRun: false });
    expect(again.steps.every((s) => s.status === "already applied")).toBe(true);
    expect(await query(db, "select id from docs order by id")).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it("changes nothing on a dry run and lists what is pending", async () => {
    const { connection, dir, db } = await fresh();
    await Deno.writeTextFile(join(dir, "001_docs.sql"), "create table docs (id int);");
    const report = await applyMigrations({ connection, dir, dryRun: true });
    expect(report.steps).toMatchObject([{ version: 1, status: "pending" }]);
    expect(await query(db, "select to_regclass('docs') is null as absent")).toEqual([{
      absent: true,
    }]);
    expect(await query(db, "select to_regclass('ops_schema_migrations') is null as absent"))
      .toEqual([{ absent: true }]);
  });

  it("refuses an applied migration whose file changed, and applies nothing after it", async () => {
    const { connection, dir, db } = await fresh();
    await Deno.writeTextFile(join(dir, "001_docs.sql"), "create table docs (id int);");
    await applyMigrations({ connection, dir, dryRun: false });
    await Deno.writeTextFile(join(dir, "001_docs.sql"), "create table docs (id bigint);");
    await Deno.writeTextFile(join(dir, "002_next.sql"), "create table next (id int);");
    const error = await applyMigrations({ connection, dir, dryRun: false }).catch((e) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toContain("migration 1 (docs) was applied with another content");
    expect(await query(db, "select to_regclass('next') is null as absent")).toEqual([{
      absent: true,
    }]);
  });

  it("rolls a failing migration back completely and keeps the ones before it", async () => {
    const { connection, dir, db } = await fresh();
    await Deno.writeTextFile(join(dir, "001_ok.sql"), "create table ok (id int);");
    await Deno.writeTextFile(
      join(dir, "002_bad.sql"),
      "create table half (id int);\nselect * from no_such_table;",
    );
    const error = await applyMigrations({ connection, dir, dryRun: false }).catch((e) => e);
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain("migration 2_bad failed and was rolled back");
    expect(
      await query(
        db,
        "select to_regclass('ok') is not null as ok, to_regclass('half') is null as gone",
      ),
    )
      .toEqual([{ ok: true, gone: true }]);
    expect(await query(db, "select version from ops_schema_migrations")).toEqual([{ version: 1 }]);
  });

  it("refuses file names that do not fit and duplicate versions (usage errors)", async () => {
    const { connection, dir } = await fresh();
    await Deno.writeTextFile(join(dir, "create_docs.sql"), "select 1;");
    await expect(applyMigrations({ connection, dir, dryRun: true })).rejects.toThrow(
      'migration file "create_docs.sql" does not fit NNN_name.sql',
    );
    await Deno.remove(join(dir, "create_docs.sql"));
    await Deno.writeTextFile(join(dir, "001_a.sql"), "select 1;");
    await Deno.writeTextFile(join(dir, "0001_b.sql"), "select 1;");
    await expect(applyMigrations({ connection, dir, dryRun: true })).rejects.toThrow(
      "two migration files have version 1",
    );
  });
});
