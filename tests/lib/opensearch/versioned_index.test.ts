import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { FailedError, UsageError } from "../../../lib/errors.ts";
import {
  createVersionedIndex,
  ensureIndex,
  type IndexDefinition,
  loadIndexDefinition,
  nameTarget,
  OpenSearchClient,
  OpenSearchError,
} from "../../../lib/opensearch/mod.ts";
import {
  allDocuments,
  indexDocuments,
  opensearchUrl,
  os,
  readEnvConfig,
} from "../../helpers/data_env.ts";
import { sharedStackEnv } from "../../helpers/shared_stack.ts";

const prefix = `vi${crypto.randomUUID().slice(0, 6)}`;
const definition: IndexDefinition = {
  settings: { number_of_shards: 1, number_of_replicas: 0 },
  mappings: { properties: { title: { type: "text" }, n: { type: "integer" } } },
};

let base: string;
let client: OpenSearchClient;

beforeAll(async () => {
  base = opensearchUrl(await readEnvConfig(sharedStackEnv()));
  client = new OpenSearchClient(base);
});

afterAll(async () => {
  await os(base, "DELETE", `/${prefix}*?expand_wildcards=all`).catch(() => {});
});

function docs(n: number): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    Array.from({ length: n }, (_, i) => [`d${i}`, { title: `document ${i}`, n: i }]),
  );
}

describe("versioned indices", () => {
  it("creates NAME-v1 behind alias NAME once and leaves it alone after", async () => {
    const name = `${prefix}-ensure`;
    const first = await ensureIndex(client, name, definition);
    expect(first).toMatchObject({ action: "created", index: `${name}-v1`, version: 1 });
    expect(await nameTarget(client, name)).toEqual({ kind: "alias", indices: [`${name}-v1`] });
    await indexDocuments(base, name, docs(3));
    const second = await ensureIndex(client, name, definition);
    expect(second).toMatchObject({ action: "exists", index: `${name}-v1`, documents: 3 });
  });

  it("refuses to create over an existing alias without reindex", async () => {
    const name = `${prefix}-refuse`;
    await createVersionedIndex(client, name, definition);
    const error = await createVersionedIndex(client, name, definition).catch((e) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toContain(`alias of "${name}-v1"`);
    expect(error.hint).toContain("--reindex");
  });

  it("reindexes into the next version and swaps the alias atomically, keeping every document", async () => {
    const name = `${prefix}-swap`;
    await createVersionedIndex(client, name, definition);
    const original = docs(3000);
    await indexDocuments(base, name, original);

    // a reader hammers the alias during the whole reindex: it must never see zero
    // indices, two indices, or a partial count
    let reading = true;
    const seen = new Set<string>();
    const reader = (async () => {
      while (reading) {
        const alias = await os<Record<string, unknown>>(base, "GET", `/_alias/${name}`);
        seen.add(Object.keys(alias).sort().join(","));
        const { count } = await os<{ count: number }>(base, "GET", `/${name}/_count`);
        seen.add(`count=${count}`);
      }
    })();
    const progress: number[] = [];
    const result = await createVersionedIndex(client, name, {
      ...definition,
      mappings: {
        properties: { ...definition.mappings.properties as object, tag: { type: "keyword" } },
      },
    }, { reindex: true, onProgress: (p) => progress.push(p.done) });
    reading = false;
    await reader;

    expect(result).toMatchObject({
      action: "reindexed",
      index: `${name}-v2`,
      previous: `${name}-v1`,
      documents: 3000,
    });
    expect(progress.at(-1)).toBe(3000);
    expect(await nameTarget(client, name)).toEqual({ kind: "alias", indices: [`${name}-v2`] });
    // every read saw exactly one version behind the alias and every document
    expect(seen.size).toBeGreaterThan(0);
    expect([...seen].filter((s) => ![`${name}-v1`, `${name}-v2`, "count=3000"].includes(s)))
      .toEqual([]);
    expect(await allDocuments(base, name)).toEqual(
      Object.fromEntries(Object.entries(original).sort(([a], [b]) => a.localeCompare(b))),
    );
    // the new mapping is live and the old version is writable again (kept for a rollback)
    const mapping = await os<Record<string, { mappings: { properties: Record<string, unknown> } }>>(
      base,
      "GET",
      `/${name}/_mapping`,
    );
    expect(mapping[`${name}-v2`]?.mappings.properties.tag).toEqual({ type: "keyword" });
    // the refresh pause of the bulk load is not left behind
    const settings = await os<Record<string, { settings: { index: Record<string, unknown> } }>>(
      base,
      "GET",
      `/${name}-v2/_settings`,
    );
    expect(settings[`${name}-v2`]?.settings.index.refresh_interval).toBeUndefined();
    await os(base, "PUT", `/${name}-v1/_doc/after?refresh=true`, { title: "still writable", n: 1 });
  });

  it("leaves the alias untouched and removes the new version when documents do not fit", async () => {
    const name = `${prefix}-reject`;
    await createVersionedIndex(client, name, definition);
    await indexDocuments(base, name, docs(20));
    const strict: IndexDefinition = {
      settings: definition.settings,
      mappings: { dynamic: "strict", properties: { title: { type: "text" } } },
    };
    const error = await createVersionedIndex(client, name, strict, { reindex: true }).catch((e) =>
      e
    );
    expect(error).toBeInstanceOf(FailedError);
    expect(error.message).toMatch(/strict_dynamic_mapping_exception/);
    expect(await nameTarget(client, name)).toEqual({ kind: "alias", indices: [`${name}-v1`] });
    const exists = await fetch(`${base}/${name}-v2`, { method: "HEAD" });
    expect(exists.status).toBe(404);
    // the write block taken during the copy is released
    await os(base, "PUT", `/${name}/_doc/late?refresh=true`, { title: "late", n: 21 });
    expect((await os<{ count: number }>(base, "GET", `/${name}/_count`)).count).toBe(21);
  });

  it("migrates a plain index of that name behind an alias in one step", async () => {
    const name = `${prefix}-plain`;
    await indexDocuments(base, name, docs(5));
    expect(await nameTarget(client, name)).toEqual({ kind: "index" });
    const result = await createVersionedIndex(client, name, definition, { reindex: true });
    expect(result).toMatchObject({ action: "reindexed", index: `${name}-v1`, documents: 5 });
    expect(await nameTarget(client, name)).toEqual({ kind: "alias", indices: [`${name}-v1`] });
    expect(Object.keys(await allDocuments(base, name))).toHaveLength(5);
  });
});

describe("OpenSearch client", () => {
  it("reports the status and OpenSearch's reason of an error", async () => {
    const error =
      (await client.request("GET", `/${prefix}-missing/_count`).catch((e) => e)) as OpenSearchError;
    expect(error).toBeInstanceOf(OpenSearchError);
    expect(error.status).toBe(404);
    expect(error.message).toContain("HTTP 404 index_not_found_exception");
    expect(error.message).toContain(`no such index [${prefix}-missing]`);
  });

  it("names the server it cannot reach", async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    const error = (await new OpenSearchClient(`http://127.0.0.1:${port}`).request("GET", "/")
      .catch((e) => e)) as FailedError;
    expect(error).toBeInstanceOf(FailedError);
    expect(error.message).toContain(`cannot reach OpenSearch at http://127.0.0.1:${port}`);
  });

  it("times out a request that gets no answer", async () => {
    // a socket that accepts and never answers
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    const held: Deno.Conn[] = [];
    const accepting = (async () => {
      for await (const conn of listener) held.push(conn);
    })();
    const error = (await new OpenSearchClient(`http://127.0.0.1:${port}`, { timeoutMs: 300 })
      .request("GET", "/").catch((e) => e)) as FailedError;
    listener.close();
    for (const conn of held) conn.close();
    await accepting.catch(() => {});
    expect(error).toBeInstanceOf(FailedError);
    expect(error.message).toContain("did not answer within");
  });
});

describe("index definitions", () => {
  it("refuses a missing definition and lists the available names", async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(join(dir, "events.json"), JSON.stringify(definition));
      await Deno.writeTextFile(join(dir, "documents.json"), JSON.stringify(definition));
      const error = await loadIndexDefinition("evnts", dir).catch((e) => e);
      expect(error).toBeInstanceOf(UsageError);
      expect(error.message).toContain('no index definition "evnts"');
      expect(error.hint).toBe("did you mean 'events'? available: documents, events");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  it("refuses a definition with aliases or unknown keys", async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(
        join(dir, "bad.json"),
        JSON.stringify({ ...definition, aliases: { bad: {} } }),
      );
      const error = await loadIndexDefinition("bad", dir).catch((e) => e);
      expect(error).toBeInstanceOf(UsageError);
      expect(error.message).toContain("is not an index definition");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  it("refuses a name that is a version, a wildcard or upper case", async () => {
    for (const name of ["events-v2", "ev*", "Events", "a,b"]) {
      await expect(loadIndexDefinition(name)).rejects.toBeInstanceOf(UsageError);
    }
  });
});
