import type { Sql } from "postgres";
import type { OpenSearchClient } from "../opensearch/opensearch_client.ts";
import { bulkDelete, bulkIndex, type BulkIndexResult, scanIndex } from "./document_index.ts";
import {
  type IndexableDocument,
  indexLag,
  loadDocuments,
  loadUnindexed,
  markIndexed,
  markIndexError,
  markNotIndexed,
} from "./document_store.ts";

/** Indexes documents and records the outcome in PostgreSQL (indexed_hash, index_error). */
export async function indexAndRecord(
  sql: Sql,
  client: OpenSearchClient,
  index: string,
  docs: IndexableDocument[],
  options: { maxBytes?: number; force?: boolean } = {},
): Promise<BulkIndexResult> {
  const result = await bulkIndex(client, index, docs, options);
  await markIndexed(sql, result.indexed);
  await markIndexError(sql, result.refused);
  return result;
}

/**
 * Indexes rows stored as already indexed (see `storeFiles`) and sets back
 * to waiting the ones the index refused or could not take. Only after this
 * returned may their queue messages be acknowledged.
 */
export async function indexStoredRows(
  sql: Sql,
  client: OpenSearchClient,
  index: string,
  docs: IndexableDocument[],
  options: { maxBytes?: number } = {},
): Promise<BulkIndexResult> {
  const result = await bulkIndex(client, index, docs, options);
  await markNotIndexed(sql, [...result.unsent, ...result.refused]);
  return result;
}

/** What a catch-up run of the index did. */
export interface CatchUpResult {
  indexed: number;
  refused: number;
  /** Rows still waiting afterwards (the index went away, or the limit was reached). */
  waiting: number;
  unavailable: string | undefined;
}

/**
 * Indexes the rows whose index copy lags, in id order, until none is left,
 * the index cannot be reached or `maxDocuments` were sent. Used by the
 * worker in the background and by `ingestor:reconcile`.
 */
export async function catchUpIndex(
  sql: Sql,
  client: OpenSearchClient,
  index: string,
  options: {
    maxBytes?: number;
    withErrors?: boolean;
    settleSeconds?: number;
    maxDocuments?: number;
    signal?: AbortSignal;
  } = {},
): Promise<CatchUpResult> {
  const out: CatchUpResult = { indexed: 0, refused: 0, waiting: 0, unavailable: undefined };
  let afterId = "0";
  const max = options.maxDocuments ?? Number.POSITIVE_INFINITY;
  while (out.indexed + out.refused < max && !options.signal?.aborted) {
    const docs = await loadUnindexed(sql, {
      afterId,
      limit: 2000,
      withErrors: options.withErrors ?? false,
      settleSeconds: options.settleSeconds ?? 0,
    });
    if (docs.length === 0) break;
    afterId = docs.at(-1)!.id;
    const result = await indexAndRecord(sql, client, index, docs, options);
    out.indexed += result.indexed.length;
    out.refused += result.refused.length;
    if (result.unavailable) {
      out.unavailable = result.unavailable;
      break;
    }
  }
  out.waiting = (await indexLag(sql)).waiting;
  return out;
}

/** What `ingestor:reconcile` found and did. */
export interface ReconcileReport {
  /** Rows in PostgreSQL and documents in the index before. */
  before: { postgres: number; index: number; waiting: number };
  /** Lagging rows indexed. */
  caughtUp: number;
  /** Rows missing from the index, or with another version there, indexed again. */
  repaired: number;
  /** Index documents without a row, removed. */
  removed: number;
  /** Rows the index refused, with the first reasons. */
  refused: { id: string; reason: string }[];
  after: { postgres: number; index: number; waiting: number };
  /** Both stores hold the same documents in the same versions. */
  consistent: boolean;
  unavailable: string | undefined;
}

/**
 * Makes the index match PostgreSQL (the source of truth): indexes lagging
 * rows (also those refused before), then compares every id and content hash
 * on both sides, indexes what is missing or stale and removes what has no row.
 */
export async function reconcileStores(
  sql: Sql,
  client: OpenSearchClient,
  index: string,
  options: { maxBytes?: number; signal?: AbortSignal } = {},
): Promise<ReconcileReport> {
  const count = async () => {
    const [row] = await sql<{ n: string }[]>`select count(*) as n from documents`;
    await client.request("POST", `/${encodeURIComponent(index)}/_refresh`);
    const os = await client.request<{ count: number }>(
      "GET",
      `/${encodeURIComponent(index)}/_count`,
    );
    return {
      postgres: Number(row?.n ?? 0),
      index: os.count,
      waiting: (await indexLag(sql)).waiting,
    };
  };
  const before = await count();
  const report: ReconcileReport = {
    before,
    caughtUp: 0,
    repaired: 0,
    removed: 0,
    refused: [],
    after: before,
    consistent: false,
    unavailable: undefined,
  };
  const caught = await catchUpIndex(sql, client, index, { ...options, withErrors: true });
  report.caughtUp = caught.indexed;
  if (caught.unavailable) {
    report.unavailable = caught.unavailable;
    return report;
  }
  await client.request("POST", `/${encodeURIComponent(index)}/_refresh`);
  const inIndex = await scanIndex(client, index);
  const stale: string[] = [];
  const cursor = sql<{ id: string; content_hash: string }[]>`
    select id, content_hash from documents order by id`.cursor(10_000);
  for await (const rows of cursor) {
    for (const row of rows) {
      const id = String(row.id);
      if (inIndex.get(id) !== row.content_hash) stale.push(id);
      inIndex.delete(id);
    }
  }
  for (let i = 0; i < stale.length; i += 2000) {
    const docs = await loadDocuments(sql, stale.slice(i, i + 2000));
    const result = await indexAndRecord(sql, client, index, docs, { ...options, force: true });
    report.repaired += result.indexed.length;
    for (const r of result.refused) {
      if (report.refused.length < 100) report.refused.push({ id: r.id, reason: r.reason });
    }
    if (result.unavailable) {
      report.unavailable = result.unavailable;
      return report;
    }
  }
  if (inIndex.size > 0) report.removed = await bulkDelete(client, index, [...inIndex.keys()]);
  const refusedRows = await sql<{ id: string; index_error: string }[]>`
    select id, index_error from documents where index_error is not null order by id limit 100`;
  for (const r of refusedRows) {
    if (!report.refused.some((x) => x.id === String(r.id))) {
      report.refused.push({ id: String(r.id), reason: r.index_error });
    }
  }
  report.after = await count();
  report.consistent = report.after.postgres === report.after.index && report.after.waiting === 0 &&
    report.refused.length === 0;
  return report;
}
