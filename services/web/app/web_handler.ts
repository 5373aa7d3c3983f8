import type { Sql } from "postgres";
import { errorMessage } from "../../../lib/errors.ts";
import type { OpenSearchClient } from "../../../lib/opensearch/opensearch_client.ts";
import type { QueueKeys } from "../../../lib/ingest/job_queue.ts";
import type { RedisCommands } from "../../../lib/ingest/pipeline_clients.ts";
import { searchDocuments, SearchUnavailable } from "./search_documents.ts";
import type { WebConfig } from "./web_config.ts";

/** What the handler works with; `redis` is undefined while Redis cannot be reached. */
export interface WebDependencies {
  config: WebConfig;
  sql: Sql;
  redis: () => RedisCommands | undefined;
  search: OpenSearchClient;
  keys: QueueKeys;
  /** The static files by URL path (`/`, `/search.js`...). */
  assets: Map<string, { body: Uint8Array<ArrayBuffer>; type: string }>;
}

const securityHeaders = {
  "content-security-policy":
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

function json(body: unknown, status = 200, extra: Record<string, string> = {}): Response {
  return Response.json(body, {
    status,
    headers: { ...securityHeaders, "cache-control": "no-store", ...extra },
  });
}

async function timed(
  run: () => Promise<string>,
): Promise<{ ok: boolean; latencyMs: number; detail: string }> {
  const began = performance.now();
  try {
    const detail = await Promise.race([
      run(),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error("no answer within 2000 ms")), 2000)
      ),
    ]);
    return { ok: true, latencyMs: Math.round(performance.now() - began), detail };
  } catch (error) {
    return {
      ok: false,
      latencyMs: Math.round(performance.now() - began),
      detail: errorMessage(error),
    };
  }
}

/** `GET /health`: each dependency's state and latency; 200 only when all three answer. */
async function health(deps: WebDependencies): Promise<Response> {
  const redis = deps.redis();
  const [postgres, redisState, opensearch] = await Promise.all([
    timed(async () => {
      await deps.sql`select 1`;
      return "accepting queries";
    }),
    timed(async () => {
      if (!redis) throw new Error("not connected");
      return String(await redis.sendCommand(["PING"]));
    }),
    timed(async () => {
      const h = await deps.search.request<{ status: string }>("GET", "/_cluster/health", {
        timeoutMs: 2000,
      });
      return `cluster ${h.status}`;
    }),
  ]);
  const ok = postgres.ok && redisState.ok && opensearch.ok;
  return json(
    {
      status: ok ? "ok" : "unavailable",
      dependencies: { postgres, redis: redisState, opensearch },
    },
    ok ? 200 : 503,
  );
}

async function search(deps: WebDependencies, url: URL): Promise<Response> {
  const q = (url.searchParams.get("q") ?? "").trim();
  if (q === "") return json({ error: "the query parameter q is missing or empty" }, 400);
  if (q.length > 500) return json({ error: "the query q is longer than 500 characters" }, 400);
  const sizeText = url.searchParams.get("size") ?? "10";
  const size = Number(sizeText);
  if (!/^\d+$/.test(sizeText) || size < 1 || size > deps.config.maxSize) {
    return json({ error: `size must be a whole number from 1 to ${deps.config.maxSize}` }, 400);
  }
  const fromText = url.searchParams.get("from") ?? "0";
  const from = Number(fromText);
  if (!/^\d+$/.test(fromText) || from + size > 10_000) {
    return json({ error: "from must be a whole number, and from + size at most 10000" }, 400);
  }
  try {
    const { answer, cached } = await searchDocuments({
      search: deps.search,
      redis: deps.redis(),
      keys: deps.keys,
      index: deps.config.endpoints.index,
      ttlSeconds: deps.config.cacheTtlSeconds,
    }, { q, size, from });
    return json(answer, 200, { "x-cache": cached ? "hit" : "miss" });
  } catch (error) {
    if (error instanceof SearchUnavailable) {
      return json({ error: `search is unavailable: ${error.message}` }, 503);
    }
    throw error;
  }
}

interface DocumentRow {
  id: string;
  title: string;
  body: string;
  source_path: string;
  record_key: string;
  format: string;
  metadata: Record<string, unknown>;
  content_hash: string;
  created_at: Date;
  updated_at: Date;
  indexed: boolean;
}

async function document(deps: WebDependencies, id: string): Promise<Response> {
  if (!/^[1-9]\d{0,17}$/.test(id)) {
    return json({ error: `document id ${JSON.stringify(id)} is not a number` }, 400);
  }
  let rows: DocumentRow[];
  try {
    rows = await deps.sql<DocumentRow[]>`
      select id, title, body, source_path, record_key, format, metadata, content_hash, created_at,
        updated_at, indexed_hash is not distinct from content_hash as indexed
      from documents where id = ${id}::bigint`;
  } catch (error) {
    return json({ error: `the document store is unavailable: ${errorMessage(error)}` }, 503);
  }
  const row = rows[0];
  if (!row) return json({ error: `no document ${id}` }, 404);
  return json({
    id: String(row.id),
    title: row.title,
    body: row.body,
    path: row.source_path,
    recordKey: row.record_key,
    format: row.format,
    metadata: row.metadata,
    contentHash: row.content_hash,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    indexed: row.indexed,
  });
}

/** The web app's request handler: the HTML search page, its assets and the JSON API. */
export function webHandler(deps: WebDependencies): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    if (request.method !== "GET" && request.method !== "HEAD") {
      return json({ error: `method ${request.method} is not allowed` }, 405, {
        allow: "GET, HEAD",
      });
    }
    try {
      if (url.pathname === "/health") return await health(deps);
      if (url.pathname === "/api/search") return await search(deps, url);
      const doc = /^\/api\/documents\/([^/]+)$/.exec(url.pathname);
      if (doc) return await document(deps, decodeURIComponent(doc[1]!));
      const asset = deps.assets.get(url.pathname === "/index.html" ? "/" : url.pathname);
      if (asset) {
        return new Response(request.method === "HEAD" ? null : asset.body, {
          headers: { ...securityHeaders, "content-type": asset.type, "cache-control": "no-cache" },
        });
      }
      return json({ error: `no such page: ${url.pathname}` }, 404);
    } catch (error) {
      console.error(`${new Date().toISOString()} ERROR ${url.pathname}: ${errorMessage(error)}`);
      return json({ error: "internal error" }, 500);
    }
  };
}
