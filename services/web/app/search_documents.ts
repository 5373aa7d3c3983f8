import { createHash } from "node:crypto";
import { errorMessage } from "../../../lib/errors.ts";
import {
  type OpenSearchClient,
  OpenSearchError,
} from "../../../lib/opensearch/opensearch_client.ts";
import type { QueueKeys } from "../../../lib/ingest/job_queue.ts";
import type { RedisCommands } from "../../../lib/ingest/pipeline_clients.ts";

/** One search hit as the API returns it. */
export interface SearchHit {
  id: string;
  title: string;
  /** HTML-safe text: the body around the matches, escaped, with matches in `<mark>`. */
  snippet: string;
  score: number;
}

/** The search API's answer. */
export interface SearchAnswer {
  total: number;
  hits: SearchHit[];
}

/** The search index cannot answer (down, or refusing the query). */
export class SearchUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SearchUnavailable";
  }
}

/** The OpenSearch query for `q`: title weighted over body and path, one highlighted fragment. */
export function searchBody(q: string, size: number, from: number): Record<string, unknown> {
  return {
    size,
    from,
    track_total_hits: true,
    _source: ["title"],
    query: {
      multi_match: {
        query: q,
        fields: ["title^3", "title.exact^2", "body", "path.text"],
        type: "best_fields",
      },
    },
    highlight: {
      encoder: "html",
      pre_tags: ["<mark>"],
      post_tags: ["</mark>"],
      fields: {
        body: { fragment_size: 180, number_of_fragments: 1, no_match_size: 180 },
      },
    },
  };
}

interface SearchResponse {
  hits: {
    total: { value: number } | number;
    hits: {
      _id: string;
      _score: number | null;
      _source?: { title?: string };
      highlight?: { body?: string[] };
    }[];
  };
}

/**
 * Searches the documents alias, answering from the Redis cache when the same
 * query was asked since the index last changed (the index generation is
 * part of the cache key) and within the TTL. Without Redis it still searches.
 * @throws {SearchUnavailable} when OpenSearch cannot answer.
 */
export async function searchDocuments(
  deps: {
    search: OpenSearchClient;
    redis: RedisCommands | undefined;
    keys: QueueKeys;
    index: string;
    ttlSeconds: number;
  },
  query: { q: string; size: number; from: number },
): Promise<{ answer: SearchAnswer; cached: boolean }> {
  let cacheKey: string | undefined;
  if (deps.redis && deps.ttlSeconds > 0) {
    try {
      const generation = (await deps.redis.sendCommand(["GET", deps.keys.generation])) ?? "0";
      const digest = createHash("sha256").update(JSON.stringify([query.q, query.size, query.from]))
        .digest("hex");
      cacheKey = `web:search:${deps.index}:${generation}:${digest}`;
      const hit = await deps.redis.sendCommand(["GET", cacheKey]);
      if (typeof hit === "string") return { answer: JSON.parse(hit) as SearchAnswer, cached: true };
    } catch {
      cacheKey = undefined; // Redis away: search without the cache
    }
  }
  let response: SearchResponse;
  try {
    response = await deps.search.request<SearchResponse>(
      "POST",
      `/${encodeURIComponent(deps.index)}/_search`,
      { body: searchBody(query.q, query.size, query.from), timeoutMs: 10_000 },
    );
  } catch (error) {
    if (error instanceof OpenSearchError && error.type === "index_not_found_exception") {
      return { answer: { total: 0, hits: [] }, cached: false };
    }
    throw new SearchUnavailable(errorMessage(error));
  }
  const total = typeof response.hits.total === "number"
    ? response.hits.total
    : response.hits.total.value;
  const answer: SearchAnswer = {
    total,
    hits: response.hits.hits.map((h) => ({
      id: h._id,
      title: h._source?.title ?? "",
      snippet: h.highlight?.body?.[0] ?? "",
      score: h._score ?? 0,
    })),
  };
  if (cacheKey && deps.redis) {
    await deps.redis.sendCommand([
      "SET",
      cacheKey,
      JSON.stringify(answer),
      "EX",
      String(deps.ttlSeconds),
    ])
      .catch(() => {});
  }
  return { answer, cached: false };
}
