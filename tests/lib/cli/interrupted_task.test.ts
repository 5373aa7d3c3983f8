/**
 * A task stopped from outside: SIGTERM or SIGINT to `./ops`, or `./ops`
 * killed outright, stops the task and every program it started, and frees
 * its lock, within 5 s. pg_dump is held mid-dump by a table lock the test
 * takes, so the moment is certain, not a race with a fast dump.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "../../../lib/posix_path.ts";
import {
  type BackupTestEnv,
  backupTestEnv,
  createTestDatabase,
  dropTestDatabases,
  superuserSql,
} from "../../helpers/backup_test_env.ts";
import { sharedStackEnv } from "../../helpers/shared_stack.ts";
import { ops, processesMentioning, root } from "../../helpers/test_stack.ts";

const prefix = "interrupt";
let env: BackupTestEnv;
let database: string;

beforeAll(async () => {
  env = await backupTestEnv(sharedStackEnv(), "interrupt");
  database = await createTestDatabase(env, prefix);
  const sql = superuserSql(env, database);
  try {
    await sql.unsafe("create table t (id int primary key, body text)");
    await sql.unsafe("insert into t select g, md5(g::text) from generate_series(1, 1000) g");
  } finally {
    await sql.end();
  }
});

afterAll(async () => {
  await dropTestDatabases(env, prefix);
  await env.remove();
});

/** Programs of this test's dumps still alive (pg_dump names the database on its command line). */
const dumps = () =>
  processesMentioning(`pg_dump`).then((l) => l.filter((x) => x.includes(database)));

async function waitUntil(what: string, check: () => Promise<boolean>, ms: number): Promise<number> {
  const began = Date.now();
  while (!(await check())) {
    if (Date.now() - began > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return Date.now() - began;
}

/** Starts `./ops postgres:backup` while a lock holds pg_dump waiting; returns it once pg_dump waits. */
async function blockedBackup(): Promise<
  { child: Deno.ChildProcess; release: () => Promise<void> }
> {
  const sql = superuserSql(env, database);
  const reserved = await sql.reserve();
  await reserved.unsafe("begin");
  await reserved.unsafe("lock table t in access exclusive mode");
  const child = new Deno.Command(join(root, "ops"), {
    args: ["postgres:backup", "--database", database, "--env", env.file],
    cwd: root,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  await waitUntil("pg_dump waits for the table lock", async () => {
    const rows = await sql<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity
      where datname = ${database} and application_name = 'pg_dump' and wait_event_type = 'Lock'`;
    return rows[0]!.n > 0;
  }, 60_000);
  return {
    child,
    release: async () => {
      await reserved.unsafe("rollback").catch(() => {});
      reserved.release();
      await sql.end();
    },
  };
}

async function lockFree(): Promise<boolean> {
  try {
    await Deno.stat(join(env.backupDir, "postgres", ".lock"));
    return false;
  } catch {
    return true;
  }
}

describe("a task stopped from outside", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`stops pg_dump and frees the lock within 5 s of ${signal} to ./ops, with one line and exit 1`, async () => {
      const { child, release } = await blockedBackup();
      try {
        expect(await dumps()).toHaveLength(1);
        child.kill(signal);
        const status = await Promise.race([
          child.status,
          new Promise<never>((_, reject) =>
            setTimeout(() => reject(new Error("./ops still runs")), 5000)
          ),
        ]);
        expect(status.code).toBe(1);
        await waitUntil("no pg_dump left", async () => (await dumps()).length === 0, 5000);
        const stderr = new TextDecoder().decode(await new Response(child.stderr).arrayBuffer());
        expect(stderr).not.toMatch(/\n\s+at /);
        expect(stderr.trim().split("\n").filter((l) => l.startsWith("error:"))).toHaveLength(1);
      } finally {
        await release();
      }
      await waitUntil("the lock is free", lockFree, 5000);
      const next = await ops(env.file, ["postgres:backup", "--database", database]);
      expect(next.code, next.stderr).toBe(0);
    });
  }

  it("stops pg_dump within 5 s when ./ops itself is killed (SIGKILL), and the next backup runs", async () => {
    const { child, release } = await blockedBackup();
    try {
      child.kill("SIGKILL");
      await child.status;
      const took = await waitUntil(
        "no pg_dump left",
        async () => (await dumps()).length === 0,
        5000,
      );
      expect(took).toBeLessThan(5000);
      expect(await processesMentioning(`postgres:backup --database ${database}`)).toEqual([]);
    } finally {
      await child.stderr.cancel().catch(() => {});
      await release();
    }
    const next = await ops(env.file, ["postgres:backup", "--database", database]);
    expect(next.code, next.stderr).toBe(0);
  });
});
