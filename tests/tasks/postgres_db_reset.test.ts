import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestEnvironment, ops, opsOk, type TestEnvironment } from "../helpers/test_stack.ts";

// db-reset drops the app database: it gets a postgres of its own, never the shared one.
let env: TestEnvironment;

beforeAll(async () => {
  env = await createTestEnvironment({ name: "dbreset", services: ["postgres"] });
  await opsOk(env.file, ["up"]);
});

afterAll(async () => {
  await ops(env.file, ["down"]);
  await env.remove();
});

const psql = async (sql: string) =>
  (await opsOk(env.file, ["postgres:psql", "-Atc", sql])).stdout.trim();

describe("postgres:migrate and postgres:db-reset", () => {
  it("migrate --dry-run lists the project's migrations, then migrate applies and tracks them", async () => {
    const dry = JSON.parse(
      (await opsOk(env.file, ["postgres:migrate", "--dry-run", "--json"])).stdout,
    );
    expect(dry.steps.length).toBeGreaterThan(0);
    expect(dry.steps.every((s: { status: string }) => s.status === "pending")).toBe(true);
    expect(await psql("select to_regclass('ops_schema_migrations') is null")).toBe("t");
    const applied = JSON.parse((await opsOk(env.file, ["postgres:migrate", "--json"])).stdout);
    expect(applied.steps.map((s: { status: string }) => s.status)).toEqual(
      dry.steps.map(() => "applied"),
    );
    expect(Number(await psql("select count(*) from ops_schema_migrations"))).toBe(dry.steps.length);
  });

  it("needs confirmation, then drops the data, recreates the database and migrates it", async () => {
    await psql("create table scratch (x int); insert into scratch values (1)");
    const refused = await ops(env.file, ["postgres:db-reset"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("without confirmation");
    expect(await psql("select count(*) from scratch")).toBe("1");

    const reset = JSON.parse(
      (await opsOk(env.file, ["postgres:db-reset", "--yes", "--json"])).stdout,
    );
    expect(reset.database).toBe("app");
    expect(reset.safetyBackupId).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    expect(await psql("select to_regclass('scratch') is null")).toBe("t");
    expect(await psql("select count(*) > 0 from ops_schema_migrations")).toBe("t");
    expect(await psql("select extname from pg_extension where extname = 'pgcrypto'")).toBe(
      "pgcrypto",
    );
    expect(await psql("select pg_get_userbyid(datdba) from pg_database where datname = 'app'"))
      .toBe("app");

    // the safety backup holds the dropped table
    const restoreTest = JSON.parse(
      (await opsOk(env.file, ["postgres:verify", reset.safetyBackupId, "--restore-test", "--json"]))
        .stdout,
    );
    expect(restoreTest.ok).toBe(true);
    const manifest = JSON.parse(
      await Deno.readTextFile(`${env.backupDir}/postgres/${reset.safetyBackupId}/manifest.json`),
    );
    expect(manifest.details.tables["public.scratch"]).toBe(1);
  });
});
