import type { Sql } from "postgres";
import { errorMessage } from "../../../lib/errors.ts";
import type { OpenSearchClient } from "../../../lib/opensearch/opensearch_client.ts";
import type { QueueKeys } from "../../../lib/ingest/job_queue.ts";
import type { RedisCommands } from "../../../lib/ingest/pipeline_clients.ts";
import { parseRequest, quoted } from "./parse_request.ts";
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

/** Headers on every response: scripts from the app only, never framed, no sniffing, no referrer. */
const securityHeaders = {
  "content-security-policy": [
    "default-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; "),
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

const log = (level: string, message: string) =>
  console.error(`${new Date().toISOString()} ${level.padEnd(5)} ${message}`);

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

async function search(deps: WebDependencies, query: Map<string, string>): Promise<Response> {
  const q = (query.get("q") ?? "").trim();
  if (q === "") return json({ error: "the query parameter q is missing or empty" }, 400);
  if (q.length > 500) return json({ error: "the query q is longer than 500 characters" }, 400);
  const sizeText = query.get("size") ?? "10";
  const size = Number(sizeText);
  if (!/^\d{1,6}$/.test(sizeText) || size < 1 || size > deps.config.maxSize) {
    return json({
      error: `size must be a whole number from 1 to ${deps.config.maxSize}, not ${
        quoted(sizeText)
      }`,
    }, 400);
  }
  const fromText = query.get("from") ?? "0";
  const from = Number(fromText);
  if (!/^\d{1,6}$/.test(fromText) || from + size > 10_000) {
    return json({
      error: `from must be a whole number with from + size at most 10000, not ${quoted(fromText)}`,
    }, 400);
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
      // the detail names internal hosts and indices: it goes to the log, not to the client
      log("WARN", `search is unavailable: ${error.message}`);
      return json({ error: "search is unavailable, try again later" }, 503);
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

/** The largest PostgreSQL `bigint`: a larger id cannot name a row. */
const maxBigint = 9223372036854775807n;

async function document(deps: WebDependencies, id: string): Promise<Response> {
  if (!/^[1-9]\d{0,18}$/.test(id) || BigInt(id) > maxBigint) {
    return json({
      error: `document id ${quoted(id)} is not a whole number from 1 to ${maxBigint}`,
    }, 400);
  }
  let rows: DocumentRow[];
  try {
    rows = await deps.sql<DocumentRow[]>`
      select id, title, body, source_path, record_key, format, metadata, content_hash, created_at,
        updated_at, indexed_hash is not distinct from content_hash as indexed
      from documents where id = ${id}::bigint`;
  } catch (error) {
    log("WARN", `the document store is unavailable: ${errorMessage(error)}`);
    return json({ error: "the document store is unavailable, try again later" }, 503);
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

/**
 * The web app's request handler: the HTML search page, its assets and the JSON
 * API. It never throws: a malformed request answers 4xx with `{"error": ...}`
 * naming the problem, a failure of the handler 500 with no detail (logged).
 */
export function webHandler(deps: WebDependencies): (request: Request) => Promise<Response> {
  return async (request) => {
    let path = "(unparsed)";
    try {
      if (request.method !== "GET" && request.method !== "HEAD") {
        return json({ error: `method ${quoted(request.method)} is not allowed` }, 405, {
          allow: "GET, HEAD",
        });
      }
      const parsed = parseRequest(request);
      if ("error" in parsed) return json({ error: parsed.error }, parsed.status);
      path = parsed.path;
      const [first, second, third, ...rest] = parsed.segments;
      if (path === "/health") return await health(deps);
      if (path === "/api/search") return await search(deps, parsed.query);
      if (first === "api" && second === "documents" && third !== undefined && rest.length === 0) {
        return await document(deps, third);
      }
      const asset = deps.assets.get(path === "/index.html" ? "/" : path);
      if (asset) {
        return new Response(request.method === "HEAD" ? null : asset.body, {
          headers: { ...securityHeaders, "content-type": asset.type, "cache-control": "no-cache" },
        });
      }
      return json({ error: `no such page: ${quoted(path)}` }, 404);
    } catch (error) {
      log("ERROR", `${quoted(path, 200)}: ${errorMessage(error)}`);
      return json({ error: "internal error" }, 500);
    }
  };
}
