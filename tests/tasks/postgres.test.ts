import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "../../lib/posix_path.ts";
import {
  type BackupTestEnv,
  backupTestEnv,
  createTestDatabase,
  databaseNames,
  dropTestDatabases,
  superuserSql,
} from "../helpers/backup_test_env.ts";
import { sharedStackEnv } from "../helpers/shared_stack.ts";
import { ops, processesMentioning, root } from "../helpers/test_stack.ts";

// Every database this file creates starts with this prefix; the backup folder is private.
const prefix = "pgtask";
let env: BackupTestEnv;

beforeAll(async () => {
  env = await backupTestEnv(sharedStackEnv(), "pgtasks");
});

afterAll(async () => {
  await dropTestDatabases(env, prefix);
  await env.remove();
});

/** Runs a task and parses its --json output, failing with stderr when the exit code differs. */
async function opsJson<T>(file: string, args: string[], expected = 0): Promise<T> {
  const run = await ops(file, [...args, "--json"]);
  if (run.code !== expected) {
    throw new Error(`ops ${args.join(" ")} exited ${run.code}:\n${run.stderr}\n${run.stdout}`);
  }
  return JSON.parse(run.stdout) as T;
}

interface BackupJson {
  id: string;
  path: string;
  database: string;
  tables: number;
  rows: number;
  totalBytes: number;
}

/** Known rows of every kind of column that matters (text, numeric, arrays, json, nulls, time). */
async function seed(database: string): Promise<void> {
  const sql = superuserSql(env, database);
  try {
    await sql.unsafe(`
      set role app;
      create table items (
        id int primary key, name text not null, price numeric(10,2), tags text[],
        meta jsonb, created timestamptz
      );
      insert into items
        select g, 'item ' || g || E'\\t\\u00e9', g * 1.25, array['a' || g, null],
               jsonb_build_object('g', g, 'odd', g % 2 = 1),
               timestamptz '2026-01-01 00:00:00+00' + g * interval '1 minute'
        from generate_series(1, 2500) g;
      insert into items values (0, 'nulls', null, null, null, null);
      create table notes (id bigserial primary key, item_id int references items(id), body text);
      insert into notes (item_id, body) select g % 2500, repeat('x', g % 50) from generate_series(1, 700) g;
      create index on notes (item_id);
    `);
  } finally {
    await sql.end();
  }
}

/** Every row of the seeded tables, in a fixed order, as plain JSON. */
async function snapshot(database: string): Promise<unknown> {
  const sql = superuserSql(env, database);
  try {
    const items = await sql`select * from items order by id`;
    const notes = await sql`select * from notes order by id`;
    const tables =
      await sql`select tablename from pg_tables where schemaname = 'public' order by 1`;
    const seq = await sql`select last_value from notes_id_seq`;
    return JSON.parse(JSON.stringify({ items, notes, tables, seq }));
  } finally {
    await sql.end();
  }
}

async function change(database: string): Promise<void> {
  const sql = superuserSql(env, database);
  try {
    await sql.unsafe(`
      update items set name = 'changed' where id < 100;
      delete from notes where id > 10;
      delete from items where id > 2000;
      insert into items values (9999, 'new', 1, null, null, now());
      create table extra (x int);
    `);
  } finally {
    await sql.end();
  }
}

describe("postgres:backup and postgres:restore on a real server", () => {
  let db: string;
  let backup: BackupJson;
  let before: unknown;

  beforeAll(async () => {
    db = await createTestDatabase(env, prefix);
    await seed(db);
    before = await snapshot(db);
  });

  it("backs up with row counts from the dump's snapshot and a checksummed file", async () => {
    backup = await opsJson<BackupJson>(env.file, [
      "postgres:backup",
      "--database",
      db,
      "--label",
      "round trip",
    ]);
    expect(backup).toMatchObject({ database: db, tables: 2, rows: 2501 + 700 });
    const manifest = JSON.parse(await Deno.readTextFile(join(backup.path, "manifest.json")));
    expect(manifest.details.tables).toEqual({ "public.items": 2501, "public.notes": 700 });
    expect(manifest.details.database).toBe(db);
    expect(manifest.label).toBe("round trip");
    expect(manifest.files).toHaveLength(1);
    expect(manifest.files[0].path).toBe(`${db}.dump`);
    expect(manifest.files[0].size).toBe((await Deno.stat(join(backup.path, `${db}.dump`))).size);
    expect(manifest.serverVersion).toMatch(/^\d+\.\d+/);
    expect(manifest.toolVersion).toContain("pg_dump");
    const list = await opsJson<{ backups: { id: string }[] }>(env.file, ["postgres:backups"]);
    expect(list.backups.map((b) => b.id)).toContain(backup.id);
  });

  it("restores exactly what was backed up after the data changed, with a safety backup first", async () => {
    await change(db);
    expect(await snapshot(db)).not.toEqual(before);
    const restored = await opsJson<{ replaced: boolean; safetyBackupId: string; rows: number }>(
      env.file,
      ["postgres:restore", backup.id, "--yes"],
    );
    expect(restored.replaced).toBe(true);
    expect(restored.rows).toBe(3201);
    expect(await snapshot(db)).toEqual(before);
    const list = await opsJson<{ backups: { id: string; label: string }[] }>(env.file, [
      "postgres:backups",
    ]);
    const safety = list.backups.find((b) => b.id === restored.safetyBackupId);
    expect(safety?.label).toBe(`safety before restore of ${backup.id}`);
    expect((await databaseNames(env)).filter((n) => n.startsWith(`${db}_`))).toEqual([]);
  });

  it("round-trips the directory format dumped with parallel jobs into another database", async () => {
    const dir = await opsJson<BackupJson>(env.file, [
      "postgres:backup",
      "--database",
      db,
      "--format",
      "directory",
      "--jobs",
      "2",
      "--compression",
      "none",
    ]);
    const manifest = JSON.parse(await Deno.readTextFile(join(dir.path, "manifest.json")));
    expect(manifest.files.length).toBeGreaterThanOrEqual(3); // toc.dat + one file per table
    expect(manifest.options).toEqual({ format: "directory", compression: "none", jobs: 2 });
    const target = `${prefix}_copy_${crypto.randomUUID().slice(0, 6)}`;
    const restored = await opsJson<{ replaced: boolean }>(env.file, [
      "postgres:restore",
      dir.id,
      "--target",
      target,
      "--jobs",
      "2",
      "--yes",
    ]);
    expect(restored.replaced).toBe(false);
    expect(await snapshot(target)).toEqual(before);
  });

  it("verify --restore-test restores into a scratch database, compares row counts and drops it", async () => {
    const names = await databaseNames(env);
    const result = await opsJson<{
      ok: boolean;
      restoreTest: { ok: boolean; rows: number; database: string };
    }>(env.file, ["postgres:verify", backup.id, "--restore-test"]);
    expect(result.ok).toBe(true);
    expect(result.restoreTest).toMatchObject({ ok: true, rows: 3201 });
    expect((await databaseNames(env)).sort()).toEqual(names.sort());
  });

  it("refuses a backup with one flipped byte: verify and restore exit 1, the live data stays", async () => {
    const copy = await opsJson<BackupJson>(env.file, ["postgres:backup", "--database", db]);
    await change(db);
    const live = await snapshot(db);
    const file = join(copy.path, `${db}.dump`);
    const bytes = await Deno.readFile(file);
    bytes[Math.floor(bytes.length / 2)] = bytes[Math.floor(bytes.length / 2)]! ^ 0x01;
    await Deno.writeFile(file, bytes);

    const verify = await ops(env.file, ["postgres:verify", copy.id]);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain(`${db}.dump: sha256`);
    expect(verify.stdout).toContain("does not match the manifest");

    const names = await databaseNames(env);
    const restore = await ops(env.file, ["postgres:restore", copy.id, "--yes"]);
    expect(restore.code).toBe(1);
    expect(restore.stderr).toContain("is damaged, nothing was changed");
    expect(await snapshot(db)).toEqual(live);
    expect((await databaseNames(env)).sort()).toEqual(names.sort());
    const list = await opsJson<{ backups: { label: string | null }[] }>(env.file, [
      "postgres:backups",
    ]);
    expect(list.backups.filter((b) => b.label?.includes(copy.id))).toEqual([]); // no safety backup taken
  });

  it("refuses bad input with exit 2 and a clear message", async () => {
    const cases: [string[], string][] = [
      [["postgres:restore", "20990101T000000Z-abcdef", "--yes"], "unknown postgres backup"],
      [["postgres:verify", "../../etc/passwd"], "is not a backup id"],
      [["postgres:backup", "--label", "a/b"], "contains a slash"],
      [["postgres:backup", "--label", "x..y"], "contains '..'"],
      [["postgres:backup", "--jobs", "2"], "--jobs needs the directory format"],
      [["postgres:backup", "--compression", "lz9"], "must be one of"],
      [["postgres:backup", "--database", `${prefix}_missing`], "does not exist"],
      [["postgres:restore", backup.id, "--target", "Bad-Name", "--yes"], "is not allowed"],
      [["postgres:restore", backup.id], "without confirmation"],
    ];
    for (const [args, message] of cases) {
      const run = await ops(env.file, args);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toContain(message);
    }
  });
});

describe("postgres backup guard rails", () => {
  let big: string;

  beforeAll(async () => {
    // big enough that a dump takes a few seconds
    big = await createTestDatabase(env, `${prefix}_big`);
    const sql = superuserSql(env, big);
    try {
      await sql.unsafe(`create table t as
        select g as id, md5(g::text) as a, md5((g * 7)::text) as b from generate_series(1, 1500000) g`);
    } finally {
      await sql.end();
    }
  });

  function spawnBackup(): Deno.ChildProcess {
    return new Deno.Command(join(root, "ops"), {
      args: [
        "postgres:backup",
        "--database",
        big,
        "--env",
        env.file,
      ],
      cwd: root,
      env: { NO_COLOR: "1" },
      stdout: "null",
      stderr: "null",
    }).spawn();
  }

  async function waitFor(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const serviceDir = () => join(env.backupDir, "postgres");
  const entries = async () =>
    (await Array.fromAsync(Deno.readDir(serviceDir()))).map((e) => e.name);

  it("runs one backup at a time: a second one exits 75 at once naming the first", async () => {
    const first = spawnBackup();
    await waitFor(
      "the lock",
      async () => (await entries().catch((): string[] => [])).includes(".lock"),
    );
    const began = Date.now();
    const second = await ops(env.file, ["postgres:backup", "--database", big]);
    expect(second.code).toBe(75);
    // the holder is the run ./ops started (itself, or the run it started with its grants)
    const holder = Number(/locked by postgres:backup \(pid (\d+)/.exec(second.stderr)?.[1]);
    expect(await processesMentioning(`postgres:backup --database ${big}`)).toContainEqual(
      expect.stringMatching(new RegExp(`^\\s*${holder}\\s`)),
    );
    expect(Date.now() - began).toBeLessThan(10_000);
    expect((await first.status).code).toBe(0);
  });

  it("leaves no valid-looking backup when killed mid-dump, and the next run cleans up", async () => {
    const before = (await opsJson<{ backups: { id: string }[] }>(env.file, ["postgres:backups"]))
      .backups.map((b) => b.id);
    const child = spawnBackup();
    let temp = "";
    await waitFor("dump bytes in a temp folder", async () => {
      temp = (await entries().catch((): string[] => [])).find((n) => n.startsWith(".tmp-")) ?? "";
      if (!temp) return false;
      const size = await Deno.stat(join(serviceDir(), temp, `${big}.dump`)).then((s) => s.size)
        .catch(() => 0);
      return size > 100_000;
    });
    // a crash of the whole task: ./ops and the run it started die at once, nothing cleans up
    for (const line of await processesMentioning(`postgres:backup --database ${big}`)) {
      Deno.kill(Number(line.trim().split(/\s+/)[0]), "SIGKILL");
    }
    await child.status;

    const after = (await opsJson<{ backups: { id: string }[] }>(env.file, ["postgres:backups"]))
      .backups.map((b) => b.id);
    expect(after).toEqual(before);
    expect(await entries()).toContain(temp); // the leftover is there, but is no backup
    await expect(Deno.stat(join(serviceDir(), temp, "manifest.json"))).rejects.toThrow();
    await waitFor("pg_dump to exit", async () => (await processesMentioning(big)).length === 0);

    const next = await opsJson<BackupJson>(env.file, ["postgres:backup", "--database", big]);
    const names = await entries();
    expect(names.filter((n) => n.startsWith(".tmp-"))).toEqual([]);
    expect(names).not.toContain(".lock");
    const listed = (await opsJson<{ backups: { id: string }[] }>(env.file, ["postgres:backups"]))
      .backups.map((b) => b.id);
    expect(listed).toEqual([next.id, ...before]);
    expect((await ops(env.file, ["postgres:verify", next.id])).code).toBe(0);
  });
});

describe("protected environments", () => {
  let prod: BackupTestEnv;
  let db: string;

  beforeAll(async () => {
    prod = await backupTestEnv(sharedStackEnv(), "pgprod", { protected: true });
    db = await createTestDatabase(env, `${prefix}_prod`);
    await seed(db);
  });

  afterAll(async () => {
    await prod.remove();
  });

  it("refuses restore, db-reset and prune without --force (exit 2) and allows restore with it", async () => {
    const backup = await opsJson<BackupJson>(prod.file, ["postgres:backup", "--database", db]);
    const before = await snapshot(db);
    for (
      const args of [
        ["postgres:restore", backup.id, "--yes"],
        ["postgres:db-reset", "--yes"],
        ["postgres:prune", "--keep-last", "1", "--yes"],
      ]
    ) {
      const run = await ops(prod.file, args);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toContain('in the protected environment "pgprod"');
      expect(run.stderr).toContain("--force");
    }
    await change(db);
    const forced = await ops(prod.file, ["postgres:restore", backup.id, "--yes", "--force"]);
    expect(forced.code).toBe(0);
    expect(await snapshot(db)).toEqual(before);
  });
});

describe("postgres:psql", () => {
  it("passes arguments through to psql, connected as the app user", async () => {
    const run = await ops(env.file, [
      "postgres:psql",
      "-At",
      "-c",
      "select current_user || ' ' || current_database()",
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe("app app");
  });

  it("exits 1 when psql fails", async () => {
    const run = await ops(env.file, ["postgres:psql", "-c", "select * from no_such_table"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('relation "no_such_table" does not exist');
  });
});
