/**
 * Nothing left behind: kill -9 of the server under each kind of backup and
 * restore ends the task with one line and exit 1, the next run of the same
 * kind removes what the killed run left, `cleanup --leftovers` removes the
 * leftovers of gone runs and keeps those of live ones, and a killed
 * postmaster starts again at once. Runs on the shared stack (with a private
 * backup folder) and restarts only the server it killed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { formatOwnerToken, hostTag } from "../../lib/leftovers/owner_token.ts";
import { processStart } from "../../lib/runtime/proc.ts";
import {
  type BackupTestEnv,
  backupTestEnv,
  databaseNames,
  dropTestDatabases,
  superuserSql,
} from "../helpers/backup_test_env.ts";
import { indexDocuments, opensearchUrl, os, redisFor } from "../helpers/data_env.ts";
import { sharedStackEnv } from "../helpers/shared_stack.ts";
import {
  createTestEnvironment,
  ops,
  opsOk,
  type OpsRun,
  type TestEnvironment,
} from "../helpers/test_stack.ts";

const prefix = "leftovers";
let env: BackupTestEnv;
let stateDir: string;
let osBase: string;

beforeAll(async () => {
  env = await backupTestEnv(sharedStackEnv(), "leftovers");
  stateDir = env.config.stateDir;
  osBase = opensearchUrl(env.config);
});

afterAll(async () => {
  // whatever a failed test left dead comes back for the files after this one
  for (const service of ["postgres", "redis", "opensearch"]) {
    await ops(env.file, [`${service}:start`]);
  }
  await dropTestDatabases(env, prefix).catch(() => {});
  await os(osBase, "DELETE", `/${prefix}*`).catch(() => {});
  await env.remove();
});

/** Starts a task in the background, as an operator would (through ./ops). */
function startOps(args: string[]): Promise<OpsRun> {
  return ops(env.file, args);
}

/** The pid the native runtime recorded for a service. */
async function servicePid(service: string): Promise<number> {
  return Number((await Deno.readTextFile(join(stateDir, service, "run", "service.pid"))).trim());
}

async function killServer(service: string): Promise<void> {
  Deno.kill(await servicePid(service), "SIGKILL");
}

/** Polls `probe` every 20 ms until it returns a value; fails after `timeoutMs`. */
async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Exit 1, one `error:` line matching `message`, no stack trace, no continuation lines. */
function expectOneLineFailure(run: OpsRun, message: RegExp): void {
  expect(run.code, run.stderr).toBe(1);
  const lines = run.stderr.split("\n").filter((l) => l !== "");
  const errors = lines.filter((l) => l.startsWith("error:"));
  expect(errors, run.stderr).toHaveLength(1);
  expect(errors[0]).toMatch(message);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect(run.stderr).not.toMatch(/Uncaught|Stack backtrace|unexpected failure/);
  // a multi-line message would continue on indented lines
  expect(lines.filter((l) => /^\s/.test(l)), run.stderr).toEqual([]);
}

/** Names in a folder matching `pattern` (none when the folder is missing). */
async function namesIn(dir: string, pattern: RegExp): Promise<string[]> {
  try {
    return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).filter((n) =>
      pattern.test(n)
    ).sort();
  } catch {
    return [];
  }
}

const catalogTemps = (service: string) => namesIn(join(env.backupDir, service), /^\.tmp-/);
const redisData = () => join(stateDir, "redis", "data");
const redisTemps = () => namesIn(redisData(), /^temp-|^\.ops-tmp-/);
const scratchDatabases = async () =>
  (await databaseNames(env)).filter((n) => n.startsWith("ops_tmp_")).sort();

/** The first scratch database whose name starts with `namePrefix`, polled over one connection. */
async function waitForScratch(namePrefix: string): Promise<string> {
  const sql = superuserSql(env, "postgres");
  try {
    return await waitFor(`a database ${namePrefix}*`, async () => {
      const rows = await sql<{ datname: string }[]>`
        select datname from pg_database where starts_with(datname, ${namePrefix})`;
      return rows[0]?.datname;
    });
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

/** A database of 300,000 rows (a restore of it takes a few seconds) and its backup id. */
async function bigDatabaseBackup(): Promise<{ database: string; id: string }> {
  const database = `${prefix}_${crypto.randomUUID().slice(0, 8)}`;
  const admin = superuserSql(env, "postgres");
  try {
    await admin.unsafe(`create database "${database}" owner app`);
  } finally {
    await admin.end();
  }
  const sql = superuserSql(env, database);
  try {
    await sql.unsafe(`set role app;
      create table big (id int primary key, body text);
      insert into big select g, md5(g::text) || repeat('x', 100) from generate_series(1, 300000) g`);
  } finally {
    await sql.end();
  }
  const run = await opsOk(env.file, ["postgres:backup", "--database", database, "--json"]);
  return { database, id: (JSON.parse(run.stdout) as { id: string }).id };
}

/** Redis with many keys, no automatic saves and a slow BGSAVE (1 ms per key), so a save can be caught running. */
async function slowRedisSaves(): Promise<void> {
  const client = await redisFor(env.config);
  try {
    await client.configSet("save", "");
    for (let i = 0; i < 4000; i += 500) {
      const multi = client.multi();
      for (let j = i; j < i + 500; j++) multi.set(`${prefix}:key:${j}`, `value ${j}`);
      await multi.exec();
    }
    await client.configSet("rdb-key-save-delay", "1000");
  } finally {
    await client.close();
  }
}

describe("nothing left behind when the server dies under a task", () => {
  it("starts postgres again right after a kill -9 of the postmaster", async () => {
    await killServer("postgres");
    const start = await ops(env.file, ["postgres:start"]);
    expect(start.code, start.stderr).toBe(0);
    expect(start.stdout).toContain("restarted after crash");
    expect((await databaseNames(env)).length).toBeGreaterThan(0);
  });

  it("postgres:restore: one line for the killed run, the next run drops its scratch database", async () => {
    const { id } = await bigDatabaseBackup();
    const running = startOps(["postgres:restore", id, "--yes", "--no-safety-backup"]);
    const scratch = await waitForScratch("ops_tmp_restore_");
    await killServer("postgres");
    expectOneLineFailure(
      await running,
      new RegExp(`could not restore backup ${id} into the database ${scratch}: postgres went away`),
    );
    await opsOk(env.file, ["postgres:start"]);
    expect(await scratchDatabases()).toContain(scratch);

    const next = await ops(env.file, ["postgres:restore", id, "--yes", "--no-safety-backup"]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toContain(`dropped scratch databases of interrupted runs: ${scratch}`);
    expect(await scratchDatabases()).toEqual([]);
    expect(await catalogTemps("postgres")).toEqual([]);
  });

  it("postgres:backup: one line for the killed run, the next run removes its temp folder", async () => {
    const { database } = await bigDatabaseBackup();
    const running = startOps(["postgres:backup", "--database", database]);
    const [temp] = await waitFor("a temp backup folder", async () => {
      const found = await catalogTemps("postgres");
      return found.length ? found : undefined;
    });
    await killServer("postgres");
    expectOneLineFailure(
      await running,
      new RegExp(`could not back up ${database}: postgres went away`),
    );
    await opsOk(env.file, ["postgres:start"]);

    const next = await ops(env.file, ["postgres:backup", "--database", database]);
    expect(next.code, next.stderr).toBe(0);
    expect(await catalogTemps("postgres")).toEqual([]);
    expect(temp).toMatch(/^\.tmp-/);
  });

  it("postgres:verify --restore-test: one line for the killed run, the next run drops its scratch database", async () => {
    const { id } = await bigDatabaseBackup();
    const running = startOps(["postgres:verify", id, "--restore-test"]);
    const scratch = await waitForScratch("ops_tmp_verify_");
    await killServer("postgres");
    const killed = await running;
    expectOneLineFailure(
      killed,
      new RegExp(`could not restore backup ${id} for the restore test: postgres went away`),
    );
    expect(killed.stdout).not.toContain("DAMAGED"); // the backup is fine, the server died
    await opsOk(env.file, ["postgres:start"]);
    expect(await scratchDatabases()).toContain(scratch);

    const next = await ops(env.file, ["postgres:verify", id, "--restore-test"]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toContain(`dropped scratch databases of interrupted runs: ${scratch}`);
    expect(await scratchDatabases()).toEqual([]);
  });

  it("redis:backup: one line for the killed run, the next run removes its temp RDB", async () => {
    await slowRedisSaves();
    const running = startOps(["redis:backup"]);
    const [temp] = await waitFor("a temp RDB", async () => {
      const found = await namesIn(redisData(), /^temp-\d+\.rdb$/);
      return found.length ? found : undefined;
    });
    await killServer("redis");
    expectOneLineFailure(
      await running,
      /lost the connection to redis while waiting for the background save/,
    );
    expect(await redisTemps()).toContain(temp);
    expect(await catalogTemps("redis")).toEqual([]);
    await opsOk(env.file, ["redis:start"]);

    const next = await ops(env.file, ["redis:backup"]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toContain(`removed temp files of interrupted saves and restores: ${temp}`);
    expect(await redisTemps()).toEqual([]);
    expect(await catalogTemps("redis")).toEqual([]);
  });

  it("redis:restore: one line for the killed run, the next run removes its temp RDB", async () => {
    const backup = JSON.parse((await opsOk(env.file, ["redis:backup", "--json"])).stdout) as {
      id: string;
    };
    await slowRedisSaves();
    // killed while its safety backup saves the current data
    const running = startOps(["redis:restore", backup.id, "--yes"]);
    const [temp] = await waitFor("a temp RDB", async () => {
      const found = await namesIn(redisData(), /^temp-\d+\.rdb$/);
      return found.length ? found : undefined;
    });
    await killServer("redis");
    expectOneLineFailure(await running, /lost the connection to redis while/);
    expect(await redisTemps()).toContain(temp);
    await opsOk(env.file, ["redis:start"]);

    const next = await ops(env.file, ["redis:restore", backup.id, "--yes"]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toContain(temp);
    expect(await redisTemps()).toEqual([]);
    expect(await namesIn(redisData(), /before-restore|restoring/)).toEqual([]);
    expect(await catalogTemps("redis")).toEqual([]);
  });

  it(
    "opensearch:backup: one line for the killed run, the next run removes its snapshot repository",
    async () => {
      const index = `${prefix}-${crypto.randomUUID().slice(0, 6)}`;
      await indexDocuments(
        osBase,
        index,
        Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`d${i}`, { n: i }])),
      );
      const running = startOps(["opensearch:backup", "--indices", index]);
      // registered (so recorded in the cluster state) before it is killed
      const repository = await waitFor("a temp snapshot repository", async () => {
        const repositories = await os<Record<string, unknown>>(osBase, "GET", "/_snapshot")
          .catch(() => ({}));
        return Object.keys(repositories).find((name) => name.startsWith("ops-tmp-backup-"));
      });
      await killServer("opensearch");
      expectOneLineFailure(await running, /cannot reach OpenSearch at /);
      expect(await catalogTemps("opensearch")).toEqual([]);
      await opsOk(env.file, ["opensearch:start"]);
      expect(Object.keys(await os(osBase, "GET", "/_snapshot"))).toContain(repository);

      const next = await ops(env.file, ["opensearch:backup", "--indices", index]);
      expect(next.code, next.stderr).toBe(0);
      expect(next.stderr).toContain(repository);
      expect(Object.keys(await os(osBase, "GET", "/_snapshot"))).toEqual([]);
      expect(await namesIn(join(stateDir, "opensearch", "snapshots"), /./)).toEqual([]);
      expect(await catalogTemps("opensearch")).toEqual([]);
    },
    300_000,
  );
});

describe("cleanup --leftovers", () => {
  let live: Deno.ChildProcess;
  let liveToken: string;
  let deadToken: string;
  let deadPid: number;

  /** A token of a process that ran and is gone, and one of a process that runs on. */
  beforeAll(async () => {
    const host = hostTag(Deno.hostname());
    const dead = new Deno.Command("sleep", { args: ["60"] }).spawn();
    deadPid = dead.pid;
    deadToken = formatOwnerToken({ pid: dead.pid, start: (await processStart(dead.pid))!, host });
    dead.kill("SIGKILL");
    await dead.status;
    live = new Deno.Command("sleep", { args: ["600"] }).spawn();
    liveToken = formatOwnerToken({ pid: live.pid, start: (await processStart(live.pid))!, host });
  });

  afterAll(async () => {
    try {
      live.kill("SIGKILL");
    } catch {
      // already ended by the test
    }
    await live.status;
  });

  interface Listed {
    service: string;
    kind: string;
    name: string;
  }
  interface LeftoversJson {
    removed: Listed[];
    kept: Listed[];
    failed: Listed[];
    unchecked: { service: string; what: string; reason: string }[];
  }

  const snapshotsDir = () => join(stateDir, "opensearch", "snapshots");

  async function plant(token: string, n: string): Promise<string[]> {
    const database = `ops_tmp_restore_${token}_${n}`;
    const sql = superuserSql(env, "postgres");
    try {
      await sql.unsafe(`create database "${database}"`);
    } finally {
      await sql.end();
    }
    const file = `.ops-tmp-restore-${token}.rdb`;
    await Deno.writeTextFile(join(redisData(), file), "partial");
    const repository = `ops-tmp-backup-${token}-${n}`;
    await os(osBase, "PUT", `/_snapshot/${repository}`, {
      type: "fs",
      settings: { location: join(snapshotsDir(), repository) },
    });
    const folder = `.tmp-20260101T00000${n.slice(-1)}Z-${n}aa`;
    await Deno.mkdir(join(env.backupDir, "postgres", folder), { recursive: true });
    const [pid, start] = token.split("_");
    await Deno.writeTextFile(
      join(env.backupDir, "postgres", folder, ".writer.json"),
      JSON.stringify({
        pid: Number(pid),
        startedEpoch: 0,
        sinceInit: Number(start!.slice(1)),
        host: Deno.hostname(),
        children: [],
      }),
    );
    return [database, file, repository, folder];
  }

  it("lists first and removes only after confirmation, then keeps what a live run owns", async () => {
    const deadOnes = await plant(deadToken, "0d01");
    const liveOnes = await plant(liveToken, "0e02");
    // a temp RDB of a save whose process is gone (no save runs now)
    const deadTemp = `temp-${deadPid}.rdb`;
    await Deno.writeTextFile(join(redisData(), deadTemp), "partial");

    const unconfirmed = await ops(env.file, ["cleanup", "--leftovers"]);
    expect(unconfirmed.code).toBe(2);
    const listed = (verb: string) =>
      unconfirmed.stderr.split("\n").filter((l) => l.startsWith(verb)).join("\n");
    for (const name of [...deadOnes, deadTemp]) expect(listed("to remove")).toContain(name);
    for (const name of liveOnes) expect(listed("to keep")).toContain(name);
    expect(await scratchDatabases()).toContain(deadOnes[0]);

    const run = await opsOk(env.file, ["cleanup", "--leftovers", "--yes", "--json"]);
    const result = JSON.parse(run.stdout) as LeftoversJson;
    expect(result.removed.map((l) => l.name).sort()).toEqual([...deadOnes, deadTemp].sort());
    expect(result.kept.map((l) => l.name).sort()).toEqual([...liveOnes].sort());
    expect(result.failed).toEqual([]);
    expect(result.unchecked).toEqual([]);

    expect(await scratchDatabases()).toEqual([liveOnes[0]]);
    expect(await redisTemps()).toEqual([liveOnes[1]]);
    expect(Object.keys(await os(osBase, "GET", "/_snapshot"))).toEqual([liveOnes[2]]);
    expect(await namesIn(snapshotsDir(), /./)).toEqual([liveOnes[2]]);
    expect(await catalogTemps("postgres")).toEqual([liveOnes[3]]);

    // once their run is gone, they go too
    live.kill("SIGKILL");
    await live.status;
    const again = JSON.parse(
      (await opsOk(env.file, ["cleanup", "--leftovers", "--yes", "--json"])).stdout,
    ) as LeftoversJson;
    expect(again.removed.map((l) => l.name).sort()).toEqual([...liveOnes].sort());
    expect(await scratchDatabases()).toEqual([]);
    expect(await redisTemps()).toEqual([]);
    expect(Object.keys(await os(osBase, "GET", "/_snapshot"))).toEqual([]);
    expect(await catalogTemps("postgres")).toEqual([]);
  });

  it("says which servers it could not look at", async () => {
    let idle: TestEnvironment | undefined;
    try {
      idle = await createTestEnvironment({ name: "idle" });
      const run = await ops(idle.file, ["cleanup", "--leftovers", "--yes", "--json"]);
      expect(run.code, run.stderr).toBe(0);
      const result = JSON.parse(run.stdout) as LeftoversJson;
      expect(result.removed).toEqual([]);
      expect(result.unchecked.map((u) => u.service).sort()).toEqual(["opensearch", "postgres"]);
      expect(result.unchecked[0]!.reason).toMatch(/is stopped: start it to look for/);
    } finally {
      await idle?.remove();
    }
  });
});
