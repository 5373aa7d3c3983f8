import { FailedError, UsageError } from "../errors.ts";
import { assertIndexName, type IndexDefinition } from "./index_definition.ts";
import type { OpenSearchClient } from "./opensearch_client.ts";
import { reindex, type ReindexProgress, type ReindexResult } from "./reindex.ts";

/** What a name currently is in the cluster. */
export type NameTarget =
  | { kind: "alias"; indices: string[] }
  | { kind: "index" }
  | { kind: "missing" };

/** The outcome of {@link createVersionedIndex} or {@link ensureIndex}. */
export interface VersionedIndexResult {
  /** The alias clients use (`documents`). */
  alias: string;
  /** The concrete index behind it now (`documents-v3`). */
  index: string;
  version: number;
  /** What the alias (or the plain index of that name) pointed at before, if anything. */
  previous: string | null;
  /** `created`: a first version; `reindexed`: a new version with the documents copied; `exists`: nothing to do. */
  action: "created" | "reindexed" | "exists";
  /** Documents in `index` when done. */
  documents: number;
  reindex: ReindexResult | null;
}

/** Options of {@link createVersionedIndex}. */
export interface CreateVersionedIndexOptions {
  /** When the alias exists: build the next version, copy the documents, swap the alias. */
  reindex?: boolean;
  onProgress?: (progress: ReindexProgress) => void;
  signal?: AbortSignal;
}

/** Whether `name` is an alias (and of which indices), a plain index, or nothing. */
export async function nameTarget(client: OpenSearchClient, name: string): Promise<NameTarget> {
  const aliases = await client.send<Record<string, unknown>>(
    "GET",
    `/_alias/${encodeURIComponent(name)}`,
    { accept: [404] },
  );
  if (aliases.status === 200) return { kind: "alias", indices: Object.keys(aliases.body).sort() };
  const index = await client.send("HEAD", `/${encodeURIComponent(name)}`, { accept: [404] });
  return index.status === 200 ? { kind: "index" } : { kind: "missing" };
}

/** The version numbers of the `NAME-vN` indices that exist, ascending (aliased or not). */
export async function indexVersions(client: OpenSearchClient, name: string): Promise<number[]> {
  const rows = await client.request<{ index: string }[]>(
    "GET",
    `/_cat/indices/${encodeURIComponent(name)}-v*`,
    { query: { format: "json", h: "index", expand_wildcards: "all" } },
  );
  const pattern = new RegExp(`^${name.replace(/[-]/g, "\\-")}-v(\\d+)$`);
  return rows.map((r) => pattern.exec(r.index)?.[1]).filter((v): v is string => v !== undefined)
    .map(Number).sort((a, b) => a - b);
}

/** The number of documents in an index (or alias). */
export async function countDocuments(client: OpenSearchClient, index: string): Promise<number> {
  const answer = await client.request<{ count: number }>(
    "GET",
    `/${encodeURIComponent(index)}/_count`,
  );
  return answer.count;
}

/**
 * Creates `NAME-vN` (the next free N) from a definition and points alias
 * `NAME` at it. When the alias exists and `reindex` is set: builds the next
 * version, copies the documents with `_reindex` (the old version is
 * write-blocked meanwhile, so a write during the copy fails loudly instead of
 * being lost), checks the counts, then moves the alias in one atomic
 * `_aliases` call; the old version stays for a rollback. A plain index named
 * `NAME` (made by auto-create) is migrated the same way and removed in the
 * same atomic call.
 * @throws {UsageError} when the alias exists and `reindex` is not set.
 * @throws {FailedError} when the copy loses documents (the new version is removed, the alias untouched).
 */
export async function createVersionedIndex(
  client: OpenSearchClient,
  name: string,
  definition: IndexDefinition,
  options: CreateVersionedIndexOptions = {},
): Promise<VersionedIndexResult> {
  assertIndexName(name);
  const target = await nameTarget(client, name);
  const versions = await indexVersions(client, name);
  const version = (versions.at(-1) ?? 0) + 1;
  const next = `${name}-v${version}`;
  const body = { settings: definition.settings, mappings: definition.mappings };

  if (target.kind === "missing") {
    await client.request("PUT", `/${encodeURIComponent(next)}`, {
      body: { ...body, aliases: { [name]: {} } },
    });
    return {
      alias: name,
      index: next,
      version,
      previous: null,
      action: "created",
      documents: 0,
      reindex: null,
    };
  }
  if (target.kind === "alias" && target.indices.length !== 1) {
    throw new FailedError(
      `alias ${JSON.stringify(name)} points at ${target.indices.length} indices (${
        target.indices.join(", ")
      }); a versioned index has exactly one`,
      { hint: "remove the extra indices from the alias (POST /_aliases) and run again" },
    );
  }
  const previous = target.kind === "alias" ? target.indices[0]! : name;
  if (!options.reindex) {
    throw new UsageError(
      target.kind === "alias"
        ? `index ${JSON.stringify(name)} already exists (alias of ${JSON.stringify(previous)})`
        : `${JSON.stringify(name)} is a plain index, not a versioned one`,
      `add --reindex to build ${next} from the definition, copy the documents and move the alias`,
    );
  }

  await client.request("PUT", `/${encodeURIComponent(next)}`, { body });
  const cleanup = client.detached();
  let blocked = false;
  try {
    await setWriteBlock(client, previous, true);
    blocked = true;
    await client.request("POST", `/${encodeURIComponent(previous)}/_refresh`);
    const sourceCount = await countDocuments(client, previous);
    // no periodic refresh while bulk-loading the new version (the usual reindex tuning);
    // the definition's own interval is put back before the alias moves
    await setRefreshInterval(client, next, "-1");
    const copied = await reindex(client, previous, next, {
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    await setRefreshInterval(client, next, refreshIntervalOf(definition));
    await client.request("POST", `/${encodeURIComponent(next)}/_refresh`);
    const documents = await countDocuments(client, next);
    if (documents !== sourceCount) {
      throw new FailedError(
        `reindex into ${next} copied ${documents} of ${sourceCount} documents; the alias was not moved`,
      );
    }
    const actions = target.kind === "alias"
      ? [{ remove: { index: previous, alias: name } }, { add: { index: next, alias: name } }]
      : [{ add: { index: next, alias: name } }, { remove_index: { index: previous } }];
    await client.request("POST", "/_aliases", { body: { actions } });
    if (target.kind === "alias") await setWriteBlock(cleanup, previous, false);
    blocked = false;
    return {
      alias: name,
      index: next,
      version,
      previous,
      action: "reindexed",
      documents,
      reindex: copied,
    };
  } catch (error) {
    await cleanup.request("DELETE", `/${encodeURIComponent(next)}`, { accept: [404] })
      .catch(() => {});
    if (blocked) await setWriteBlock(cleanup, previous, false).catch(() => {});
    throw error;
  }
}

/**
 * Creates `NAME-v1` behind alias `NAME` when neither an alias nor an index of
 * that name exists; otherwise changes nothing. For start-up code such as the
 * ingestor's (`await ensureIndex(client, "documents", definition)`).
 */
export async function ensureIndex(
  client: OpenSearchClient,
  name: string,
  definition: IndexDefinition,
): Promise<VersionedIndexResult> {
  assertIndexName(name);
  const target = await nameTarget(client, name);
  if (target.kind === "missing") {
    try {
      return await createVersionedIndex(client, name, definition);
    } catch (error) {
      // another process created it between the check and the create: that is what we wanted
      if ((await nameTarget(client, name)).kind === "missing") throw error;
    }
  }
  const now = await nameTarget(client, name);
  const index = now.kind === "alias" ? now.indices[0] ?? name : name;
  const version = Number(/-v(\d+)$/.exec(index)?.[1] ?? 0);
  return {
    alias: name,
    index,
    version,
    previous: null,
    action: "exists",
    documents: await countDocuments(client, name),
    reindex: null,
  };
}

async function setWriteBlock(client: OpenSearchClient, index: string, on: boolean): Promise<void> {
  await client.request("PUT", `/${encodeURIComponent(index)}/_settings`, {
    body: { index: { blocks: { write: on ? true : null } } },
  });
}

async function setRefreshInterval(
  client: OpenSearchClient,
  index: string,
  interval: string | null,
): Promise<void> {
  await client.request("PUT", `/${encodeURIComponent(index)}/_settings`, {
    body: { index: { refresh_interval: interval } },
  });
}

/** The refresh interval a definition sets (flat, dotted or nested form), or null for the default. */
function refreshIntervalOf(definition: IndexDefinition): string | null {
  const s = definition.settings as Record<string, unknown>;
  const nested = (s.index as Record<string, unknown> | undefined)?.refresh_interval;
  const value = s.refresh_interval ?? s["index.refresh_interval"] ?? nested;
  return value === undefined || value === null ? null : String(value);
}
