import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { RESP_TYPES } from "redis";
import {
  copyEnvironment,
  type EnvConfig,
  type EnvCopy,
  flipByte,
  readEnvConfig,
  redisFor,
} from "../helpers/data_env.ts";
import { sharedStackEnv } from "../helpers/shared_stack.ts";
import { createTestEnvironment, ops, opsOk, type TestEnvironment } from "../helpers/test_stack.ts";

type Client = Awaited<ReturnType<typeof redisFor>>;

/** Every key of a database (hex) with its type, logical value and whether it has a TTL. */
async function dataset(client: Client): Promise<Record<string, string>> {
  const binary = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  const hex = (b: unknown) => (b as Buffer).toString("hex");
  const out: Record<string, string> = {};
  for (const key of (await binary.keys("*")) as Buffer[]) {
    const type = String(await client.type(key));
    let value: unknown;
    if (type === "string") value = hex(await binary.get(key));
    else if (type === "list") value = ((await binary.lRange(key, 0, -1)) as Buffer[]).map(hex);
    else if (type === "set") value = ((await binary.sMembers(key)) as Buffer[]).map(hex).sort();
    else if (type === "hash") value = Object.entries(await client.hGetAll(key)).sort();
    else if (type === "zset") value = await client.zRangeWithScores(key, 0, -1);
    else value = `unexpected type ${type}`;
    const ttl = Number(await client.pTTL(key));
    out[hex(key)] = `${type} ${JSON.stringify(value)} ttl=${ttl > 0 ? "yes" : "no"}`;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

async function datasets(config: EnvConfig, dbs: number[]): Promise<Record<number, unknown>> {
  const out: Record<number, unknown> = {};
  for (const db of dbs) {
    const client = await redisFor(config, db);
    try {
      out[db] = await dataset(client);
    } finally {
      await client.close();
    }
  }
  return out;
}

async function writeKnownData(config: EnvConfig): Promise<void> {
  const c0 = await redisFor(config, 0);
  try {
    for (let i = 0; i < 500; i++) await c0.set(`user:${i}`, `name ${i}`);
    await c0.hSet("profile:1", { name: "Ada", role: "admin" });
    await c0.rPush("queue:jobs", ["a", "b", "c"]);
    await c0.sAdd("tags", ["x", "y"]);
    await c0.zAdd("scores", [{ score: 1, value: "one" }, { score: 2, value: "two" }]);
    await c0.set("session:long", "kept", { EX: 86_400 });
    await c0.set(Buffer.from([0xde, 0xad, 0xbe, 0xef]), Buffer.from([0x00, 0xff]));
  } finally {
    await c0.close();
  }
  const c3 = await redisFor(config, 3);
  try {
    for (let i = 0; i < 50; i++) await c3.set(`cache:${i}`, String(i));
  } finally {
    await c3.close();
  }
}

async function changeData(config: EnvConfig): Promise<void> {
  const c0 = await redisFor(config, 0);
  try {
    await c0.del(["user:1", "user:2", "tags"]);
    await c0.set("user:3", "changed");
    await c0.hSet("profile:1", "role", "guest");
    await c0.set("new:key", "added after the backup");
  } finally {
    await c0.close();
  }
  const c3 = await redisFor(config, 3);
  try {
    await c3.flushDb();
  } finally {
    await c3.close();
  }
}

async function json<T>(run: Promise<{ stdout: string }>): Promise<T> {
  return JSON.parse((await run).stdout) as T;
}

describe("redis:flush", () => {
  const prefix = `flush${crypto.randomUUID().slice(0, 6)}`;
  const db = 11;
  let env: EnvCopy;
  let prod: EnvCopy;
  let config: EnvConfig;

  beforeAll(async () => {
    env = await copyEnvironment(sharedStackEnv(), "flushtest");
    prod = await copyEnvironment(sharedStackEnv(), "flushprod", { protected: true });
    config = await readEnvConfig(sharedStackEnv());
  });

  afterAll(async () => {
    const client = await redisFor(config, db);
    await client.flushDb().finally(() => client.close());
    await env.remove();
    await prod.remove();
  });

  async function keysOf(pattern: string, database = db): Promise<string[]> {
    const client = await redisFor(config, database);
    try {
      const binary = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
      return ((await binary.keys(pattern)) as Buffer[]).map((k) => k.toString("hex")).sort();
    } finally {
      await client.close();
    }
  }

  async function seed(tag: string, hits: number, misses: number): Promise<Buffer> {
    const client = await redisFor(config, db);
    try {
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < hits; i++) writes.push(client.set(`${prefix}:${tag}:hit:${i}`, "v"));
      for (let i = 0; i < misses; i++) writes.push(client.set(`${prefix}:${tag}:miss:${i}`, "v"));
      writes.push(client.set(`${prefix}:${tag}:hitx`, "near miss"));
      // a key that is not valid UTF-8 but matches the pattern
      const binaryKey = Buffer.concat([
        Buffer.from(`${prefix}:${tag}:hit:`),
        Buffer.from([0xff, 0xfe]),
      ]);
      writes.push(client.set(binaryKey, "binary"));
      await Promise.all(writes);
      return binaryKey;
    } finally {
      await client.close();
    }
  }

  it("removes exactly the keys matching the pattern, binary keys included", async () => {
    await seed("exact", 3000, 2000);
    const before = await keysOf(`${prefix}:exact:*`);
    const pattern = `${prefix}:exact:hit:*`;
    const matching = await keysOf(pattern);
    expect(matching).toHaveLength(3001);
    const result = await json<{ matched: number; removed: number }>(
      opsOk(env.file, [
        "redis:flush",
        "--db",
        String(db),
        "--pattern",
        pattern,
        "--yes",
        "--json",
        "--batch",
        "100",
      ]),
    );
    expect(result).toMatchObject({ matched: 3001, removed: 3001 });
    expect(await keysOf(`${prefix}:exact:*`)).toEqual(before.filter((k) => !matching.includes(k)));
    expect(await keysOf(`${prefix}:exact:*`)).toHaveLength(2001);
  });

  it("counts without removing in a dry run", async () => {
    await seed("dry", 40, 10);
    const run = await opsOk(env.file, [
      "redis:flush",
      "--db",
      String(db),
      "--pattern",
      `${prefix}:dry:hit:*`,
      "--dry-run",
    ]);
    expect(run.stdout).toContain(`would remove 41 keys matching "${prefix}:dry:hit:*" in db ${db}`);
    expect(await keysOf(`${prefix}:dry:*`)).toHaveLength(52);
  });

  it("refuses without confirmation when not on a terminal, after showing the count", async () => {
    await seed("noconfirm", 5, 5);
    const run = await ops(env.file, [
      "redis:flush",
      "--db",
      String(db),
      "--pattern",
      `${prefix}:noconfirm:*`,
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`found 12 keys matching "${prefix}:noconfirm:*" in db ${db}`);
    expect(run.stderr).toContain("pass --yes");
    expect(await keysOf(`${prefix}:noconfirm:*`)).toHaveLength(12);
  });

  it("is refused in a protected environment without --force", async () => {
    await seed("prod", 5, 5);
    const args = ["redis:flush", "--db", String(db), "--pattern", `${prefix}:prod:*`, "--yes"];
    const refused = await ops(prod.file, args);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('protected environment "flushprod"');
    expect(refused.stderr).toContain("--force");
    expect(await keysOf(`${prefix}:prod:*`)).toHaveLength(12);
    await opsOk(prod.file, [...args, "--force"]);
    expect(await keysOf(`${prefix}:prod:*`)).toHaveLength(0);
  });

  it("flushes one whole database and no other", async () => {
    const other = 12;
    const client = await redisFor(config, other);
    try {
      await client.set(`${prefix}:a`, "1");
      await client.set(`${prefix}:b`, "2");
    } finally {
      await client.close();
    }
    await seed("whole", 3, 3);
    const inDb = (await keysOf(`${prefix}:*`)).length;
    const result = await json<{ matched: number; removed: number; pattern: null }>(
      opsOk(env.file, ["redis:flush", "--db", String(other), "--yes", "--json"]),
    );
    expect(result).toMatchObject({ matched: 2, removed: 2, pattern: null });
    expect(await keysOf("*", other)).toEqual([]);
    expect(await keysOf(`${prefix}:*`)).toHaveLength(inDb);
  });

  it("refuses a backup label that could be a path, before touching anything", async () => {
    for (const label of ["a/b", "../up"]) {
      const run = await ops(env.file, ["redis:backup", "--label", label]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`label ${JSON.stringify(label)}`);
    }
    const list = await ops(env.file, ["redis:backups", "--json"]);
    expect(JSON.parse(list.stdout).backups).toEqual([]);
  });

  it("asks what to flush when given neither --db nor --pattern", async () => {
    const run = await ops(env.file, ["redis:flush", "--yes"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("needs --db N");
  });
});

describe.each([
  { mode: "rdb", appendOnly: false },
  { mode: "aof", appendOnly: true },
])("redis:backup and redis:restore ($mode)", ({ appendOnly }) => {
  let stack: TestEnvironment;
  let config: EnvConfig;

  beforeAll(async () => {
    stack = await createTestEnvironment({
      services: ["redis"],
      name: appendOnly ? "redisaof" : "redisrdb",
      settings: { redis: { appendOnly } },
    });
    await opsOk(stack.file, ["up"]);
    config = await readEnvConfig(stack.file);
  });

  afterAll(async () => {
    await ops(stack.file, ["down"]);
    await stack.remove();
  });

  it("restores exactly the data that was backed up", async () => {
    await writeKnownData(config);
    const original = await datasets(config, [0, 3]);
    const backup = await json<{ id: string; keyspace: Record<string, { keys: number }> }>(
      opsOk(stack.file, ["redis:backup", "--label", "round trip", "--json"]),
    );
    expect(backup.keyspace.db0?.keys).toBe(506);
    expect(backup.keyspace.db3?.keys).toBe(50);

    await changeData(config);
    expect(await datasets(config, [0, 3])).not.toEqual(original);

    const restored = await json<{ check: { ok: boolean; exact: boolean }; safetyBackupId: string }>(
      opsOk(stack.file, ["redis:restore", backup.id, "--yes", "--json"]),
    );
    expect(restored.check).toMatchObject({ ok: true, exact: true });
    expect(await datasets(config, [0, 3])).toEqual(original);

    // the replaced dataset was kept as a safety backup
    const list = await json<{ backups: { id: string; label: string }[] }>(
      opsOk(stack.file, ["redis:backups", "--json"]),
    );
    expect(list.backups.map((b) => b.id)).toContain(restored.safetyBackupId);

    if (appendOnly) {
      const client = await redisFor(config);
      try {
        expect(await client.configGet("appendonly")).toEqual({ appendonly: "yes" });
      } finally {
        await client.close();
      }
      // after a restart the data comes from the rewritten AOF, not the old one
      await opsOk(stack.file, ["redis:restart"]);
      expect(await datasets(config, [0, 3])).toEqual(original);
      await Deno.stat(join(config.stateDir, "redis", "data", "appendonlydir"));
    }
  });

  it("refuses a backup with a flipped byte and leaves the live data and server alone", async () => {
    const backup = await json<{ id: string; path: string }>(
      opsOk(stack.file, ["redis:backup", "--json"]),
    );
    const client = await redisFor(config);
    try {
      await client.set("written:after:backup", "must survive");
    } finally {
      await client.close();
    }
    const live = await datasets(config, [0, 3]);
    const pidBefore = (await ops(stack.file, ["status", "--json"])).stdout;
    await flipByte(join(backup.path, "dump.rdb"));

    const verify = await ops(stack.file, ["redis:verify", backup.id]);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain("dump.rdb: sha256");

    const restore = await ops(stack.file, ["redis:restore", backup.id, "--yes"]);
    expect(restore.code).toBe(1);
    expect(restore.stderr).toContain(`redis backup ${backup.id} is damaged, nothing was changed`);
    expect(await datasets(config, [0, 3])).toEqual(live);
    const pidOf = (status: string) =>
      (JSON.parse(status) as { services: { name: string; pid: number }[] }).services
        .find((s) => s.name === "redis")?.pid;
    expect(pidOf((await ops(stack.file, ["status", "--json"])).stdout)).toBe(pidOf(pidBefore));
  });

  it("puts the previous data back when the restored key counts do not match", async () => {
    const seed = await redisFor(config);
    await seed.set("in:the:backup", "1").finally(() => seed.close());
    const backup = await json<{ id: string; path: string }>(
      opsOk(stack.file, ["redis:backup", "--json"]),
    );
    // a manifest that promises more keys than the RDB holds: the check after start must fail
    const manifestFile = join(backup.path, "manifest.json");
    const manifest = JSON.parse(await Deno.readTextFile(manifestFile));
    for (const field of ["keyspace", "keyspaceAtStart"]) manifest.details[field].db0.keys += 7;
    await Deno.writeTextFile(manifestFile, JSON.stringify(manifest));
    const client = await redisFor(config);
    try {
      await client.set("written:before:failed:restore", "must survive");
    } finally {
      await client.close();
    }
    const live = await datasets(config, [0, 3]);

    const restore = await ops(stack.file, ["redis:restore", backup.id, "--yes"]);
    expect(restore.code).toBe(1);
    expect(restore.stderr).toContain("does not match backup");
    expect(restore.stderr).not.toContain("did not start again");
    expect(restore.stderr).toContain("putting the previous redis data back");
    expect(await datasets(config, [0, 3])).toEqual(live);
    const files = [...Deno.readDirSync(join(config.stateDir, "redis", "data"))].map((e) => e.name);
    expect(files.filter((f) => f.includes("before-restore") || f.includes("restoring"))).toEqual(
      [],
    );
  });

  it("refuses an unknown backup id with exit 2", async () => {
    const run = await ops(stack.file, ["redis:restore", "20200101T000000Z-abcdef", "--yes"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown redis backup "20200101T000000Z-abcdef"');
  });
});
