import { errorMessage } from "../errors.ts";
import { type OpenSearchClient, OpenSearchError } from "../opensearch/opensearch_client.ts";
import type { IndexableDocument } from "./document_store.ts";

/** Default size of one `_bulk` request body: a few MB, as OpenSearch recommends. */
export const defaultBulkBytes = 5 * 1024 * 1024;

/** What a bulk indexing run did. */
export interface BulkIndexResult {
  /** Documents the index now holds in this version (or a newer one). */
  indexed: { id: string; contentHash: string }[];
  /** Documents the index refused, with its reason. */
  refused: { id: string; contentHash: string; reason: string }[];
  /** Documents not sent, or refused for a passing reason (overload), because the index could not take them. */
  unsent: { id: string; contentHash: string }[];
  /** Why the index could not be reached, when it could not. */
  unavailable: string | undefined;
  requests: number;
}

interface BulkItem {
  index?: { _id: string; status: number; error?: { type?: string; reason?: string } };
}

/**
 * Indexes documents with `_bulk` in requests of about `maxBytes`. Each
 * document carries its row revision as external version, so an older copy
 * never overwrites a newer one (a version conflict means the index already
 * holds this version or a newer one: counted as indexed). `force` writes
 * without a version (reconcile, to replace a copy that is wrong).
 * Never throws for an unreachable index: the rest is reported as not sent.
 */
export async function bulkIndex(
  client: OpenSearchClient,
  index: string,
  docs: IndexableDocument[],
  options: { maxBytes?: number; force?: boolean; refresh?: boolean } = {},
): Promise<BulkIndexResult> {
  const maxBytes = options.maxBytes ?? defaultBulkBytes;
  const result: BulkIndexResult = {
    indexed: [],
    refused: [],
    unsent: [],
    unavailable: undefined,
    requests: 0,
  };
  let i = 0;
  while (i < docs.length) {
    const batch: IndexableDocument[] = [];
    const lines: string[] = [];
    let bytes = 0;
    while (i < docs.length && (batch.length === 0 || bytes < maxBytes)) {
      const doc = docs[i]!;
      const action = options.force ? { index: { _index: index, _id: doc.id } } : {
        index: {
          _index: index,
          _id: doc.id,
          version: Number(doc.revision),
          version_type: "external",
        },
      };
      const line = JSON.stringify(action) + "\n" + JSON.stringify(doc.source) + "\n";
      if (batch.length > 0 && bytes + line.length > maxBytes) break;
      lines.push(line);
      bytes += line.length;
      batch.push(doc);
      i++;
    }
    let items: BulkItem[];
    try {
      const answer = await client.request<{ errors: boolean; items: BulkItem[] }>(
        "POST",
        "/_bulk",
        {
          body: lines.join(""),
          query: options.refresh ? { refresh: "wait_for" } : {},
          timeoutMs: 120_000,
        },
      );
      result.requests++;
      items = answer.items;
    } catch (error) {
      const whole = error instanceof OpenSearchError && error.status !== 429 && error.status < 500;
      if (whole) {
        // the request as a whole was refused (e.g. the index is write-blocked during a reindex)
        for (const doc of batch) {
          result.refused.push({ id: doc.id, contentHash: doc.contentHash, reason: error.reason });
        }
        continue;
      }
      result.unavailable = errorMessage(error);
      for (const doc of docs.slice(i - batch.length)) {
        result.unsent.push({ id: doc.id, contentHash: doc.contentHash });
      }
      return result;
    }
    batch.forEach((doc, k) => {
      const item = items[k]?.index;
      if (!item) {
        result.refused.push({
          id: doc.id,
          contentHash: doc.contentHash,
          reason: "no answer for it",
        });
      } else if (item.status < 300 || item.status === 409) {
        result.indexed.push({ id: doc.id, contentHash: doc.contentHash });
      } else if (item.status === 429 || item.status >= 500) {
        result.unsent.push({ id: doc.id, contentHash: doc.contentHash });
        result.unavailable ??= `${item.error?.type ?? "HTTP " + item.status}: ${
          item.error?.reason ?? ""
        }`;
      } else {
        result.refused.push({
          id: doc.id,
          contentHash: doc.contentHash,
          reason: `${item.error?.type ?? "HTTP " + item.status}: ${item.error?.reason ?? ""}`,
        });
      }
    });
  }
  return result;
}

/** Removes documents from the index by id (missing ones are fine). */
export async function bulkDelete(
  client: OpenSearchClient,
  index: string,
  ids: string[],
): Promise<number> {
  let deleted = 0;
  for (let i = 0; i < ids.length; i += 5000) {
    const body = ids.slice(i, i + 5000).map((id) =>
      JSON.stringify({ delete: { _index: index, _id: id } }) + "\n"
    ).join("");
    const answer = await client.request<{ items: { delete?: { status: number } }[] }>(
      "POST",
      "/_bulk",
      { body, timeoutMs: 120_000 },
    );
    deleted += answer.items.filter((it) => it.delete?.status === 200).length;
  }
  return deleted;
}

/** Every (id, content_hash) in the index, read with a scroll. */
export async function scanIndex(
  client: OpenSearchClient,
  index: string,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  type Page = {
    _scroll_id?: string;
    hits: { hits: { _id: string; _source?: { content_hash?: string } }[] };
  };
  let page = await client.request<Page>("POST", `/${encodeURIComponent(index)}/_search`, {
    query: { scroll: "2m" },
    body: { size: 5000, sort: ["_doc"], _source: ["content_hash"], query: { match_all: {} } },
    timeoutMs: 120_000,
  });
  let scrollId = page._scroll_id;
  try {
    while (page.hits.hits.length > 0) {
      for (const hit of page.hits.hits) out.set(hit._id, hit._source?.content_hash ?? "");
      if (!scrollId) break;
      page = await client.request<Page>("POST", "/_search/scroll", {
        body: { scroll: "2m", scroll_id: scrollId },
        timeoutMs: 120_000,
      });
      scrollId = page._scroll_id ?? scrollId;
    }
  } finally {
    if (scrollId) {
      await client.request("DELETE", "/_search/scroll", {
        body: { scroll_id: scrollId },
        accept: [404],
      }).catch(() => {});
    }
  }
  return out;
}
