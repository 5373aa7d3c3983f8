import { UsageError } from "../lib/errors.ts";
import type { OpenSearchClient } from "../lib/opensearch/mod.ts";

/** One row of `opensearch:indices`. */
export interface IndexRow {
  index: string;
  /** Aliases pointing at the index. */
  aliases: string[];
  health: string;
  /** `open` or `close`. */
  status: string;
  /** Documents as `_cat/indices` counts them (nested documents included); null when closed. */
  docs: number | null;
  /** Store size in bytes; null when closed. */
  bytes: number | null;
}

interface CatIndex {
  index: string;
  health?: string | null;
  status?: string | null;
  "docs.count"?: string | null;
  "store.size"?: string | null;
}

const numberOrNull = (value: string | null | undefined) =>
  value === null || value === undefined || value === "" ? null : Number(value);

/** Every index with its aliases, health, status, documents and size, by name. */
export async function listIndices(
  client: OpenSearchClient,
  options: { hidden?: boolean } = {},
): Promise<IndexRow[]> {
  const [indices, aliases] = await Promise.all([
    client.request<CatIndex[]>("GET", "/_cat/indices", {
      query: {
        format: "json",
        bytes: "b",
        h: "index,health,status,docs.count,store.size",
        expand_wildcards: "all",
      },
    }),
    client.request<{ alias: string; index: string }[]>("GET", "/_cat/aliases", {
      query: { format: "json", h: "alias,index", expand_wildcards: "all" },
    }),
  ]);
  const byIndex = new Map<string, string[]>();
  for (const a of aliases) byIndex.set(a.index, [...(byIndex.get(a.index) ?? []), a.alias].sort());
  return indices
    .filter((i) => options.hidden || !i.index.startsWith("."))
    .map((i) => ({
      index: i.index,
      aliases: byIndex.get(i.index) ?? [],
      health: i.health ?? "-",
      status: i.status ?? "-",
      docs: numberOrNull(i["docs.count"]),
      bytes: numberOrNull(i["store.size"]),
    }))
    .sort((a, b) => a.index.localeCompare(b.index));
}

/** Whether each named index exists, is open, and which aliases it has; absent names are not in the map. */
export async function indexStates(
  client: OpenSearchClient,
  names: readonly string[],
): Promise<Map<string, { open: boolean; aliases: string[] }>> {
  const wanted = new Set(names);
  const out = new Map<string, { open: boolean; aliases: string[] }>();
  if (wanted.size === 0) return out;
  for (const row of await listIndices(client, { hidden: true })) {
    if (wanted.has(row.index)) {
      out.set(row.index, { open: row.status === "open", aliases: row.aliases });
    }
  }
  return out;
}

/**
 * The indices a backup includes: the requested ones (each must exist), or
 * every open index whose name does not start with '.' (system indices).
 * @throws {UsageError} naming an index that does not exist.
 */
export async function selectIndices(
  client: OpenSearchClient,
  requested: readonly string[] | undefined,
): Promise<string[]> {
  const rows = await listIndices(client, { hidden: requested !== undefined });
  if (requested === undefined) {
    return rows.filter((r) => r.status === "open").map((r) => r.index);
  }
  const known = new Set(rows.map((r) => r.index));
  const aliasTargets = new Map<string, string[]>();
  for (const row of rows) {
    for (const alias of row.aliases) {
      aliasTargets.set(alias, [...(aliasTargets.get(alias) ?? []), row.index]);
    }
  }
  const out = new Set<string>();
  for (const name of requested) {
    if (known.has(name)) out.add(name);
    else if (aliasTargets.has(name)) {
      for (const index of aliasTargets.get(name)!) out.add(index);
    } else {
      throw new UsageError(
        `there is no index or alias ${JSON.stringify(name)}`,
        `indices: ${
          rows.filter((r) => !r.index.startsWith(".")).map((r) => r.index).join(", ") || "none"
        }`,
      );
    }
  }
  return [...out].sort();
}

/** One action of `POST /_aliases`. */
export type AliasAction =
  | { add: { index: string; alias: string } }
  | { remove: { index: string; alias: string } };

/**
 * The `_aliases` actions that make each alias point at exactly the given
 * indices (removing it from any other index), for one atomic call.
 */
export async function aliasActions(
  client: OpenSearchClient,
  wanted: Record<string, string[]>,
): Promise<AliasAction[]> {
  const names = Object.keys(wanted);
  if (names.length === 0) return [];
  const current = new Map<string, Set<string>>();
  for (const row of await listIndices(client, { hidden: true })) {
    for (const alias of row.aliases) {
      if (!(alias in wanted)) continue;
      current.set(alias, (current.get(alias) ?? new Set()).add(row.index));
    }
  }
  const actions: AliasAction[] = [];
  for (const alias of names) {
    const target = new Set(wanted[alias]);
    const now = current.get(alias) ?? new Set<string>();
    for (const index of now) if (!target.has(index)) actions.push({ remove: { index, alias } });
    for (const index of target) if (!now.has(index)) actions.push({ add: { index, alias } });
  }
  return actions;
}
