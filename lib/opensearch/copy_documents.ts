import { FailedError } from "../errors.ts";
import type { OpenSearchClient } from "./opensearch_client.ts";
import type { ReindexOptions, ReindexResult } from "./reindex_types.ts";

interface Hit {
  _id: string;
  _routing?: string;
  _source?: unknown;
}

interface SearchPage {
  _scroll_id?: string;
  hits: { total?: { value: number } | number; hits: Hit[] };
}

interface BulkAnswer {
  errors: boolean;
  items: Record<
    string,
    { _id?: string; status: number; error?: { type?: string; reason?: string } }
  >[];
}

/**
 * Copies every document of `source` into `dest` from the client side: a
 * scroll over the source in `_doc` order, each page written with one `_bulk`
 * call (same ids and routing). Used when the cluster has no reindex module
 * (the minimal distribution the native runtime installs); the result has the
 * shape of a server-side reindex.
 * @throws {FailedError} naming the first documents the destination rejected.
 */
export async function copyDocuments(
  client: OpenSearchClient,
  source: string,
  dest: string,
  options: ReindexOptions & { batchSize?: number } = {},
): Promise<ReindexResult> {
  const began = performance.now();
  const batchSize = options.batchSize ?? 1000;
  let page = await client.request<SearchPage>("POST", `/${encodeURIComponent(source)}/_search`, {
    query: { scroll: "2m" },
    body: { size: batchSize, sort: ["_doc"], track_total_hits: true, query: { match_all: {} } },
  });
  const totalField = page.hits.total;
  const total = typeof totalField === "number" ? totalField : totalField?.value ?? 0;
  let scrollId = page._scroll_id;
  let created = 0;
  let updated = 0;
  const failures: string[] = [];
  try {
    options.onProgress?.({ done: 0, total });
    while (page.hits.hits.length > 0) {
      if (options.signal?.aborted) throw options.signal.reason;
      const lines: string[] = [];
      for (const hit of page.hits.hits) {
        if (hit._source === undefined) {
          throw new FailedError(
            `document ${JSON.stringify(hit._id)} of ${
              JSON.stringify(source)
            } has no _source to copy`,
            { hint: "an index with _source disabled cannot be reindexed" },
          );
        }
        const action: Record<string, string> = { _index: dest, _id: hit._id };
        if (hit._routing !== undefined) action.routing = hit._routing;
        lines.push(JSON.stringify({ index: action }), JSON.stringify(hit._source));
      }
      const answer = await client.request<BulkAnswer>("POST", "/_bulk", {
        body: lines.join("\n") + "\n",
        timeoutMs: 120_000,
      });
      for (const item of answer.items) {
        const result = item.index;
        if (!result) continue;
        if (result.error) {
          failures.push(
            `${result._id ?? "?"}: ${result.error.type ?? "error"}: ${result.error.reason ?? ""}`,
          );
        } else if (result.status === 201) created++;
        else updated++;
      }
      if (failures.length > 0) break;
      options.onProgress?.({ done: created + updated, total });
      if (!scrollId) break;
      page = await client.request<SearchPage>("POST", "/_search/scroll", {
        body: { scroll: "2m", scroll_id: scrollId },
      });
      scrollId = page._scroll_id ?? scrollId;
    }
  } finally {
    if (scrollId) {
      await client.detached().request("DELETE", "/_search/scroll", {
        body: { scroll_id: scrollId },
        accept: [404],
      }).catch(() => {});
    }
  }
  if (failures.length > 0) {
    throw new FailedError(
      `copying ${JSON.stringify(source)} into ${JSON.stringify(dest)} failed: ${
        failures.slice(0, 3).join("; ")
      }`,
      { hint: "the mappings of the new definition probably reject existing documents" },
    );
  }
  await client.request("POST", `/${encodeURIComponent(dest)}/_refresh`);
  return {
    source,
    dest,
    method: "scroll",
    total,
    created,
    updated,
    tookMs: Math.round(performance.now() - began),
  };
}
