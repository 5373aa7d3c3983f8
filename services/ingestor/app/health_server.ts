import type { Sql } from "postgres";
import { errorMessage } from "../../../lib/errors.ts";
import type { OpenSearchClient } from "../../../lib/opensearch/opensearch_client.ts";
import { indexLag } from "../../../lib/ingest/document_store.ts";
import type { QueueKeys } from "../../../lib/ingest/job_queue.ts";
import { queueStatus } from "../../../lib/ingest/job_status.ts";
import type { RedisCommands } from "../../../lib/ingest/pipeline_clients.ts";
import type { WorkerStats } from "./ingest_worker.ts";

/** The state of one dependency as the worker sees it. */
export interface DependencyState {
  ok: boolean;
  latencyMs: number;
  detail: string;
}

/** What the worker's health check needs. */
export interface HealthSources {
  sql: Sql;
  redis: RedisCommands;
  search: OpenSearchClient;
  keys: QueueKeys;
  stats: WorkerStats;
  consumer: string;
  /** The alias documents are indexed under (its `_count` is the indexed figure). */
  index?: string;
}

async function check(run: () => Promise<string>, timeoutMs = 2000): Promise<DependencyState> {
  const began = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const detail = await Promise.race([
      run(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, latencyMs: Math.round(performance.now() - began), detail };
  } catch (error) {
    return {
      ok: false,
      latencyMs: Math.round(performance.now() - began),
      detail: errorMessage(error),
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The health document: dependencies, queue depth, in-flight files, retries,
 * dead letters, lag (age of the oldest unfinished file) and documents
 * waiting for the index. Healthy (200) when Redis and PostgreSQL answer: the
 * worker can work; with OpenSearch away it still stores, documents wait.
 */
export async function healthReport(
  sources: HealthSources | undefined,
  options: { documents?: boolean } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  if (!sources) return { status: 503, body: { status: "starting" } };
  // asked for by `./ops metrics` only (`?documents=1`): counts are scans, probes stay cheap;
  // a count up to 10 s old is answered at once while a fresh one is taken for the next ask
  const counting = options.documents ? cachedDocumentCounts(sources) : null;
  const [redis, postgres, opensearch] = await Promise.all([
    check(async () => `${await sources.redis.sendCommand(["PING"])}`),
    check(async () => {
      await sources.sql`select 1`;
      return "accepting queries";
    }),
    check(async () => {
      const h = await sources.search.request<{ status: string }>("GET", "/_cluster/health", {
        timeoutMs: 2000,
      });
      return `cluster ${h.status}`;
    }),
  ]);
  const queue = redis.ok ? await queueStatus(sources.redis, sources.keys).catch(() => null) : null;
  const index = postgres.ok ? await indexLag(sources.sql).catch(() => null) : null;
  const documents = counting ? await counting : null;
  const healthy = redis.ok && postgres.ok;
  return {
    status: healthy ? 200 : 503,
    body: {
      status: healthy ? (opensearch.ok ? "ok" : "degraded") : "unavailable",
      consumer: sources.consumer,
      dependencies: { redis, postgres, opensearch },
      queue: queue && {
        depth: queue.depth,
        inFlight: queue.inFlight,
        retrying: queue.retrying,
        dead: queue.dead,
        lagSeconds: queue.lagSeconds,
      },
      index: index && { waiting: index.waiting, refused: index.refused },
      ...(options.documents ? { documents } : {}),
      worker: sources.stats,
    },
  };
}

type DocumentCounts = { stored: number | null; indexed: number | null };

/** The last document counts, when they were taken, and a count under way. */
const counts: {
  value?: DocumentCounts;
  at: number;
  taking?: Promise<DocumentCounts> | undefined;
} = { at: 0 };
const countsFreshMs = 10_000;

/**
 * Document counts for the metrics: the last ones when taken within 10 s (a new
 * count starts in the background once they are older), so a scrape never
 * waits for the two scans; the first ask, or one after a minute, waits.
 */
function cachedDocumentCounts(sources: HealthSources): Promise<DocumentCounts> {
  const age = Date.now() - counts.at;
  const take = () => {
    counts.taking ??= documentCounts(sources).then((value) => {
      counts.value = value;
      counts.at = Date.now();
      return value;
    }).finally(() => counts.taking = undefined);
    return counts.taking;
  };
  if (counts.value && age < 60_000) {
    if (age >= countsFreshMs) void take();
    return Promise.resolve(counts.value);
  }
  return take();
}

/** Documents stored in PostgreSQL and indexed in OpenSearch (each null when its store is away). */
async function documentCounts(
  sources: HealthSources,
): Promise<{ stored: number | null; indexed: number | null }> {
  const [stored, indexed] = await Promise.all([
    sources.sql<{ stored: string }[]>`select count(*) as stored from documents`
      .then(([row]) => Number(row?.stored ?? 0)).catch(() => null),
    sources.index
      ? sources.search.request<{ count: number }>(
        "GET",
        `/${encodeURIComponent(sources.index)}/_count`,
        { timeoutMs: 2000 },
      ).then((r) => r.count).catch(() => null)
      : null,
  ]);
  return { stored, indexed };
}

/** Serves `GET /health` on the port until the signal aborts. */
export function serveHealth(
  port: number,
  sources: () => HealthSources | undefined,
  signal: AbortSignal,
): Deno.HttpServer {
  return Deno.serve(
    // loopback for the native runtime; containers set HAILMARY_INGESTOR_HOST=0.0.0.0
    {
      hostname: Deno.env.get("HAILMARY_INGESTOR_HOST") || "127.0.0.1",
      port,
      signal,
      onListen: () => {},
    },
    async (request) => {
      const url = new URL(request.url);
      if (url.pathname !== "/health" || request.method !== "GET") {
        return Response.json({ error: "not found" }, { status: 404 });
      }
      const { status, body } = await healthReport(sources(), {
        documents: url.searchParams.get("documents") === "1",
      });
      return Response.json(body, { status, headers: { "cache-control": "no-store" } });
    },
  );
}
