import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "../../lib/posix_path.ts";
import { type BackupTestEnv, backupTestEnv } from "../helpers/backup_test_env.ts";
import { readEnvConfig, redisFor } from "../helpers/data_env.ts";
import { sharedStackEnv } from "../helpers/shared_stack.ts";
import { createTestEnvironment, ops, opsOk, type TestEnvironment } from "../helpers/test_stack.ts";

interface SetJson {
  id: string;
  path: string;
  parts: { service: string; id: string; totalBytes: number }[];
}

async function opsJson<T>(file: string, args: string[]): Promise<T> {
  return JSON.parse((await opsOk(file, [...args, "--json"])).stdout) as T;
}

async function backupIds(file: string, service: string): Promise<string[]> {
  return (await opsJson<{ backups: { id: string }[] }>(file, [`${service}:backups`])).backups
    .map((b) => b.id);
}

// Taking a set and refusing bad restores read the shared stack but never change it.
describe("backup sets on the shared stack (read-only)", () => {
  let env: BackupTestEnv;
  let set: SetJson;

  beforeAll(async () => {
    env = await backupTestEnv(sharedStackEnv(), "sets");
  });

  afterAll(async () => {
    await env.remove();
  });

  it("backs up postgres, redis and opensearch into one set whose manifest names the parts", async () => {
    set = await opsJson<SetJson>(env.file, ["backup", "--label", "nightly"]);
    expect(set.parts.map((p) => p.service)).toEqual(["opensearch", "postgres", "redis"]);
    expect(set.path).toBe(join(env.backupDir, "sets", set.id));
    const manifest = JSON.parse(await Deno.readTextFile(join(set.path, "manifest.json")));
    expect(manifest).toMatchObject({ id: set.id, service: "sets", label: "nightly" });
    expect(manifest.details.parts.map((p: { id: string }) => p.id)).toEqual(
      set.parts.map((p) => p.id),
    );
    for (const part of set.parts) {
      expect(await backupIds(env.file, part.service)).toContain(part.id);
      expect((await ops(env.file, [`${part.service}:verify`, part.id])).code).toBe(0);
      const partManifest = JSON.parse(
        await Deno.readTextFile(join(env.backupDir, part.service, part.id, "manifest.json")),
      );
      expect(partManifest.label).toBe(`set ${set.id}`);
    }
    const sets = await opsJson<{ sets: { id: string; label: string }[] }>(env.file, [
      "backup-sets",
    ]);
    expect(sets.sets).toMatchObject([{ id: set.id, label: "nightly" }]);
  });

  it("keeps the backups a set uses when retention would remove them", async () => {
    const newer = await opsJson<{ id: string }>(env.file, ["postgres:backup"]);
    const pgPart = set.parts.find((p) => p.service === "postgres")!;
    const plan = await opsJson<{ keep: { id: string; reasons: string[] }[]; remove: unknown[] }>(
      env.file,
      ["postgres:prune", "--keep-last", "1", "--dry-run"],
    );
    expect(plan.remove).toEqual([]);
    expect(plan.keep).toEqual([
      expect.objectContaining({ id: newer.id, reasons: ["last"] }),
      expect.objectContaining({ id: pgPart.id, reasons: [`in set ${set.id}`] }),
    ]);
  });

  it("refuses a set with one damaged part before touching any store (exit 1)", async () => {
    const redisPart = set.parts.find((p) => p.service === "redis")!;
    const manifest = JSON.parse(
      await Deno.readTextFile(join(env.backupDir, "redis", redisPart.id, "manifest.json")),
    );
    const file = join(env.backupDir, "redis", redisPart.id, manifest.files[0].path);
    const bytes = await Deno.readFile(file);
    bytes[bytes.length - 20] = bytes[bytes.length - 20]! ^ 0x01;
    await Deno.writeFile(file, bytes);
    const before = await Promise.all(set.parts.map((p) => backupIds(env.file, p.service)));

    const run = await ops(env.file, ["restore", set.id, "--yes"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`backup set ${set.id} is damaged, nothing was changed`);
    expect(run.stderr).toContain(`redis ${redisPart.id}: ${manifest.files[0].path}: sha256`);
    // no safety backup was taken anywhere: nothing started
    expect(await Promise.all(set.parts.map((p) => backupIds(env.file, p.service)))).toEqual(
      before,
    );
  });

  it("refuses unknown sets (exit 2) and restores in protected environments without --force (exit 2)", async () => {
    const unknown = await ops(env.file, ["restore", "20990101T000000Z-abcdef", "--yes"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown backup set "20990101T000000Z-abcdef"');
    expect(unknown.stderr).toContain("./ops backup-sets lists them all");
    const prod = await backupTestEnv(sharedStackEnv(), "setsprod", { protected: true });
    try {
      const refused = await ops(prod.file, ["restore", "latest", "--yes"]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(
        'restore is refused in the protected environment "setsprod"',
      );
    } finally {
      await prod.remove();
    }
  });
});

// Restoring a set replaces whole stores: it runs on a stack of its own.
describe("restoring a backup set on a private stack", () => {
  let env: TestEnvironment;

  beforeAll(async () => {
    env = await createTestEnvironment({ name: "setrestore", services: ["postgres", "redis"] });
    await opsOk(env.file, ["up"]);
  });

  afterAll(async () => {
    await ops(env.file, ["down"]);
    await env.remove();
  });

  const psql = async (sql: string) =>
    (await opsOk(env.file, ["postgres:psql", "-Atc", sql])).stdout.trim();

  async function redisState(): Promise<Record<string, string | null>> {
    const client = await redisFor(await readEnvConfig(env.file));
    try {
      const keys = (await client.keys("*")).sort();
      return Object.fromEntries(
        await Promise.all(keys.map(async (k) => [k, await client.get(k)] as const)),
      );
    } finally {
      await client.quit();
    }
  }

  it("brings every store back to the set exactly, with safety backups of what it replaced", async () => {
    await psql(
      "create table orders (id int primary key, total numeric); insert into orders select g, g * 2.5 from generate_series(1, 300) g",
    );
    const client = await redisFor(await readEnvConfig(env.file));
    for (let i = 0; i < 50; i++) await client.set(`order:${i}`, `total ${i * 2.5}`);
    await client.quit();
    const pgBefore = await psql("select count(*), sum(total) from orders");
    const redisBefore = await redisState();

    const set = await opsJson<SetJson>(env.file, ["backup"]);
    expect(set.parts.map((p) => p.service)).toEqual(["postgres", "redis"]);

    await psql("delete from orders where id > 100; create table extra (x int)");
    const changer = await redisFor(await readEnvConfig(env.file));
    await changer.del(["order:1", "order:2"]);
    await changer.set("new:key", "x");
    await changer.quit();
    expect(await redisState()).not.toEqual(redisBefore);

    const refused = await ops(env.file, ["restore", set.id]);
    expect(refused.code).toBe(2); // no terminal, no --yes
    const result = await opsJson<{
      parts: { service: string; id: string; safetyBackupId: string | null }[];
    }>(env.file, ["restore", set.id, "--yes"]);
    expect(result.parts.map((p) => [p.service, p.id])).toEqual(
      set.parts.map((p) => [p.service, p.id]),
    );
    expect(result.parts.every((p) => p.safetyBackupId !== null)).toBe(true);
    expect(await psql("select count(*), sum(total) from orders")).toBe(pgBefore);
    expect(await psql("select to_regclass('extra') is null")).toBe("t");
    expect(await redisState()).toEqual(redisBefore);
  });
});
