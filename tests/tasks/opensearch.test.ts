import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import {
  allDocuments,
  copyEnvironment,
  type EnvCopy,
  flipByte,
  indexDocuments,
  opensearchUrl,
  os,
} from "../helpers/data_env.ts";
import { sharedStackEnv } from "../helpers/shared_stack.ts";
import { ops, opsOk } from "../helpers/test_stack.ts";

let env: EnvCopy;
let prod: EnvCopy;
let base: string;
const prefix = `ostask${crypto.randomUUID().slice(0, 6)}`;

beforeAll(async () => {
  env = await copyEnvironment(sharedStackEnv(), "ostasks");
  prod = await copyEnvironment(sharedStackEnv(), "osprod", { protected: true });
  base = opensearchUrl(env.config);
});

afterAll(async () => {
  await os(base, "DELETE", `/${prefix}*,restored-${prefix}*,events-v*?expand_wildcards=all`)
    .catch(() => {});
  await env.remove();
  await prod.remove();
});

async function json<T>(run: Promise<{ stdout: string }>): Promise<T> {
  return JSON.parse((await run).stdout) as T;
}

async function aliasIndices(alias: string): Promise<string[]> {
  const response = await fetch(`${base}/_alias/${alias}`);
  if (response.status === 404) {
    await response.body?.cancel();
    return [];
  }
  return Object.keys(await response.json()).sort();
}

async function exists(index: string): Promise<boolean> {
  const response = await fetch(`${base}/${index}`, { method: "HEAD" });
  await response.body?.cancel();
  return response.status === 200;
}

function docs(from: number, to: number, tag = "original"): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    Array.from({ length: to - from }, (_, i) => [
      `e${from + i}`,
      { at: "2026-01-01T00:00:00Z", kind: tag, service: "web", message: `event ${from + i}` },
    ]),
  );
}

describe("opensearch:create-index and opensearch:delete-index", () => {
  it("refuses a missing index definition with exit 2 and lists the available ones", async () => {
    const run = await ops(env.file, ["opensearch:create-index", "evnts"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no index definition "evnts"');
    expect(run.stderr).toMatch(/did you mean 'events'\? available: .*events/);
  });

  it("creates a versioned index, reindexes it behind the same alias and keeps the documents", async () => {
    const created = await json<{ index: string; alias: string }>(
      opsOk(env.file, ["opensearch:create-index", "events", "--json"]),
    );
    expect(created).toMatchObject({ index: "events-v1", alias: "events" });
    await indexDocuments(base, "events", docs(0, 250));
    const original = await allDocuments(base, "events");

    const again = await ops(env.file, ["opensearch:create-index", "events"]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("--reindex");

    const reindexed = await json<{ index: string; previous: string; documents: number }>(
      opsOk(env.file, ["opensearch:create-index", "events", "--reindex", "--json"]),
    );
    expect(reindexed).toMatchObject({ index: "events-v2", previous: "events-v1", documents: 250 });
    expect(await aliasIndices("events")).toEqual(["events-v2"]);
    expect(await allDocuments(base, "events")).toEqual(original);

    const list = await json<{ indices: { index: string; aliases: string[]; docs: number }[] }>(
      opsOk(env.file, ["opensearch:indices", "--json"]),
    );
    const rows = list.indices.filter((r) => r.index.startsWith("events-"));
    expect(rows).toEqual([
      expect.objectContaining({ index: "events-v1", aliases: [], docs: 250 }),
      expect.objectContaining({ index: "events-v2", aliases: ["events"], docs: 250 }),
    ]);
  });

  it("refuses to delete an index behind a live alias, or the alias itself, without --force", async () => {
    for (const name of ["events-v2", "events"]) {
      const run = await ops(env.file, ["opensearch:delete-index", name, "--yes"]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/live alias/);
      expect(run.stderr).toContain("--force");
    }
    expect(await exists("events-v2")).toBe(true);
    expect(await aliasIndices("events")).toEqual(["events-v2"]);
  });

  it("deletes an index no alias points at, after confirmation", async () => {
    const unconfirmed = await ops(env.file, ["opensearch:delete-index", "events-v1"]);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain("delete the index events-v1 (250 documents)");
    expect(await exists("events-v1")).toBe(true);
    const protectedRun = await ops(prod.file, ["opensearch:delete-index", "events-v1", "--yes"]);
    expect(protectedRun.code).toBe(2);
    expect(await exists("events-v1")).toBe(true);
    await opsOk(env.file, ["opensearch:delete-index", "events-v1", "--yes"]);
    expect(await exists("events-v1")).toBe(false);
    expect(await aliasIndices("events")).toEqual(["events-v2"]);
  });

  it("refuses wildcards", async () => {
    const run = await ops(env.file, ["opensearch:delete-index", "events*", "--yes", "--force"]);
    expect(run.code).toBe(2);
    expect(await exists("events-v2")).toBe(true);
  });
});

describe("opensearch:backup and opensearch:restore", () => {
  const alias = `${prefix}-docs`;
  const v1 = `${alias}-v1`;
  let original: Record<string, unknown>;
  let backupId: string;
  let backupPath: string;

  beforeAll(async () => {
    await os(base, "PUT", `/${v1}`, {
      settings: { number_of_shards: 1, number_of_replicas: 0 },
      aliases: { [alias]: {} },
    });
    await indexDocuments(base, alias, docs(0, 400));
    original = await allDocuments(base, v1);
    const backup = await json<{
      id: string;
      path: string;
      snapshot: string;
      indices: { name: string; documents: number; aliases: string[] }[];
    }>(opsOk(env.file, ["opensearch:backup", "--indices", alias, "--json"]));
    backupId = backup.id;
    backupPath = backup.path;
    expect(backup.indices).toEqual([{ name: v1, documents: 400, aliases: [alias] }]);
  });

  it("refuses to back up an index that does not exist", async () => {
    const run = await ops(env.file, ["opensearch:backup", "--indices", `${prefix}-nosuch`]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`there is no index or alias "${prefix}-nosuch"`);
  });

  it("leaves no snapshot repository or snapshot folder of the backup behind", async () => {
    const repositories = await os<Record<string, unknown>>(base, "GET", "/_snapshot");
    expect(Object.keys(repositories).filter((r) => r.includes(backupId.toLowerCase()))).toEqual(
      [],
    );
    const snapshots = join(env.config.stateDir, "opensearch", "snapshots");
    expect([...Deno.readDirSync(snapshots)].map((e) => e.name)).not.toContain(backupId);
  });

  it("restores beside the live index with --rename, touching nothing live", async () => {
    await indexDocuments(base, alias, docs(400, 410, "later"));
    const live = await allDocuments(base, v1);
    const restored = await json<{ indices: { name: string; documents: number }[] }>(
      opsOk(env.file, ["opensearch:restore", backupId, "--rename", "--json"]),
    );
    expect(restored.indices).toEqual([
      expect.objectContaining({ name: `restored-${v1}`, documents: 400 }),
    ]);
    expect(await allDocuments(base, `restored-${v1}`)).toEqual(original);
    expect(await allDocuments(base, v1)).toEqual(live);
    expect(await aliasIndices(alias)).toEqual([v1]);

    const again = await ops(env.file, ["opensearch:restore", backupId, "--rename"]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`"restored-${v1}" already exist`);
  });

  it("replaces the indices with exactly the backed-up documents and moves the alias back", async () => {
    // change everything after the backup: delete, update, add, and reindex behind the alias
    await os(base, "DELETE", `/${v1}/_doc/e1?refresh=true`);
    await indexDocuments(base, v1, { e2: { kind: "changed", message: "changed" } });
    await os(base, "PUT", `/${alias}-v2`, { settings: { number_of_replicas: 0 } });
    await os(base, "POST", "/_aliases", {
      actions: [{ remove: { index: v1, alias } }, { add: { index: `${alias}-v2`, alias } }],
    });
    expect(await allDocuments(base, v1)).not.toEqual(original);

    const refused = await ops(prod.file, ["opensearch:restore", backupId, "--yes"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("protected environment");

    const restored = await json<{ aliases: Record<string, string[]>; safetyBackupId: string }>(
      opsOk(env.file, ["opensearch:restore", backupId, "--yes", "--json"]),
    );
    expect(restored.aliases).toEqual({ [alias]: [v1] });
    expect(await allDocuments(base, v1)).toEqual(original);
    expect(await aliasIndices(alias)).toEqual([v1]);
    expect(await exists(`${alias}-v2`)).toBe(true);

    const list = await json<{ backups: { id: string; label: string }[] }>(
      opsOk(env.file, ["opensearch:backups", "--json"]),
    );
    expect(list.backups.find((b) => b.id === restored.safetyBackupId)?.label).toBe(
      `before restore of ${backupId}`,
    );
  });

  it("refuses a backup with a flipped byte and leaves the live index alone", async () => {
    await indexDocuments(base, v1, { late: { kind: "late", message: "written after restore" } });
    const live = await allDocuments(base, v1);
    const manifest = JSON.parse(await Deno.readTextFile(join(backupPath, "manifest.json")));
    const biggest = [...manifest.files].sort((a, b) => b.size - a.size)[0].path as string;
    await flipByte(join(backupPath, biggest));

    const verify = await ops(env.file, ["opensearch:verify", backupId]);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain(`${biggest}: sha256`);

    const restore = await ops(env.file, ["opensearch:restore", backupId, "--yes"]);
    expect(restore.code).toBe(1);
    expect(restore.stderr).toContain(
      `opensearch backup ${backupId} is damaged, nothing was changed`,
    );
    expect(await allDocuments(base, v1)).toEqual(live);
    expect(await aliasIndices(alias)).toEqual([v1]);
  });
});
