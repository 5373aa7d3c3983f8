import type { Sql } from "postgres";
import type { DocumentFormat, ParsedDocument, RecordProblem } from "./document.ts";

/** One parsed file on its way into PostgreSQL. */
export interface FileToStore {
  /** The queue message's token (receipt key). */
  token: string;
  jobId: string;
  /** Absolute source path. */
  path: string;
  format: DocumentFormat;
  documents: ParsedDocument[];
  /** Content hash of each document, in the same order. */
  hashes: string[];
  problems: RecordProblem[];
}

/** The fields of a document in the search index. */
export interface IndexSource {
  title: string;
  body: string;
  path: string;
  record_key: string;
  format: string;
  content_hash: string;
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

/** A stored document ready for the search index: its row id, revision (external version) and fields. */
export interface IndexableDocument {
  id: string;
  revision: string;
  contentHash: string;
  source: IndexSource;
}

/** What storing one file did. */
export interface StoredFile {
  token: string;
  /** Documents inserted or changed. */
  documents: number;
  /** Documents already stored with the same content. */
  skipped: number;
  /** Malformed records. */
  failed: number;
  problems: RecordProblem[];
  /** The inserted or changed documents, for the search index. */
  changed: IndexableDocument[];
  /** True when this file was stored by an earlier delivery of the same message. */
  fromReceipt: boolean;
}

interface ReturnedRow {
  id: string;
  source_path: string;
  record_key: string;
  revision: string;
  created_at: Date;
  updated_at: Date;
}

/** The outcomes of messages already stored (their receipts), by token. */
export async function findReceipts(sql: Sql, tokens: string[]): Promise<Map<string, StoredFile>> {
  const out = new Map<string, StoredFile>();
  if (tokens.length === 0) return out;
  const rows = await sql<
    {
      token: string;
      documents: number;
      skipped: number;
      failed: number;
      problems: RecordProblem[];
    }[]
  >`select token, documents, skipped, failed, problems from ingest_receipts
    where token in ${sql(tokens)}`;
  for (const r of rows) {
    out.set(r.token, {
      token: r.token,
      documents: r.documents,
      skipped: r.skipped,
      failed: r.failed,
      problems: r.problems,
      changed: [],
      fromReceipt: true,
    });
  }
  return out;
}

/**
 * Upserts the documents of several files and their receipts in ONE
 * transaction: all of it is committed or none. A document is keyed by
 * (source path, record key); an unchanged content hash is skipped, a changed
 * one updates the row (new revision).
 *
 * New and changed rows are marked indexed at once (indexed_hash =
 * content_hash), which saves rewriting every row after the index took it.
 * The caller must index them before acknowledging the files, and mark the
 * ones the index did not take with {@link markNotIndexed}; a worker that dies
 * in between leaves its messages pending, and the redelivery (which finds the
 * receipts) indexes the files' rows again.
 *
 * Rows travel as one JSON parameter (`jsonb_to_recordset`), not as array
 * parameters: porsager serialises arrays wrongly on a fresh connection
 * until it has fetched the array types, which broke the first batches
 * after a restart.
 */
export async function storeFiles(
  sql: Sql,
  files: FileToStore[],
  options: { chunkRows?: number } = {},
): Promise<StoredFile[]> {
  const chunkRows = options.chunkRows ?? 1000;
  const results: StoredFile[] = files.map((f) => ({
    token: f.token,
    documents: 0,
    skipped: 0,
    failed: f.problems.length,
    problems: f.problems,
    changed: [],
    fromReceipt: false,
  }));
  await sql.begin(async (tx) => {
    let chunk: { file: number; doc: number }[] = [];
    let keys = new Set<string>();
    const flush = async () => {
      if (chunk.length === 0) return;
      const rows = chunk.map(({ file, doc }) => ({
        f: files[file]!,
        d: files[file]!.documents[doc]!,
        h: files[file]!.hashes[doc]!,
      }));
      const returned = await tx<ReturnedRow[]>`
        insert into documents (source_path, record_key, format, content_hash, title, body, metadata,
          indexed_hash, indexed_at)
        select source_path, record_key, format, content_hash, title, body, metadata, content_hash, now()
        from jsonb_to_recordset(${
        tx.json(
          rows.map((r) => ({
            source_path: r.f.path,
            record_key: r.d.recordKey,
            format: r.f.format,
            content_hash: r.h,
            title: r.d.title,
            body: r.d.body,
            metadata: r.d.metadata,
          })) as unknown as Parameters<typeof tx.json>[0],
        )
      }) as x(source_path text, record_key text, format text, content_hash text, title text,
          body text, metadata jsonb)
        on conflict (source_path, record_key) do update set
          format = excluded.format, content_hash = excluded.content_hash, title = excluded.title,
          body = excluded.body, metadata = excluded.metadata,
          revision = nextval('documents_revision_seq'), updated_at = now(), index_error = null,
          indexed_hash = excluded.indexed_hash, indexed_at = excluded.indexed_at
        where documents.content_hash is distinct from excluded.content_hash
        returning id, source_path, record_key, revision, created_at, updated_at`;
      const where = new Map<string, number>();
      rows.forEach((_, i) => where.set(`${rows[i]!.f.path}\u0000${rows[i]!.d.recordKey}`, i));
      for (const row of returned) {
        const i = where.get(`${row.source_path}\u0000${row.record_key}`);
        if (i === undefined) continue;
        const { f, d, h } = rows[i]!;
        const result = results[chunk[i]!.file]!;
        result.documents++;
        result.changed.push({
          id: String(row.id),
          revision: String(row.revision),
          contentHash: h,
          source: {
            title: d.title,
            body: d.body,
            path: f.path,
            record_key: d.recordKey,
            format: f.format,
            content_hash: h,
            metadata: d.metadata,
            created_at: row.created_at.toISOString(),
            updated_at: row.updated_at.toISOString(),
          },
        });
      }
      chunk = [];
      keys = new Set();
    };
    for (let file = 0; file < files.length; file++) {
      const f = files[file]!;
      for (let doc = 0; doc < f.documents.length; doc++) {
        const key = `${f.path}\u0000${f.documents[doc]!.recordKey}`;
        if (chunk.length >= chunkRows || keys.has(key)) await flush();
        keys.add(key);
        chunk.push({ file, doc });
      }
    }
    await flush();
    files.forEach((f, i) => (results[i]!.skipped = f.documents.length - results[i]!.documents));
    await tx`
      insert into ingest_receipts (token, job_id, source_path, documents, skipped, failed, problems)
      select token, job_id, source_path, documents, skipped, failed, problems
      from jsonb_to_recordset(${
      tx.json(
        files.map((f, i) => ({
          token: f.token,
          job_id: f.jobId,
          source_path: f.path,
          documents: results[i]!.documents,
          skipped: results[i]!.skipped,
          failed: results[i]!.failed,
          problems: results[i]!.problems.slice(0, 1000),
        })) as unknown as Parameters<typeof tx.json>[0],
      )
    }) as x(token text, job_id text, source_path text, documents int, skipped int, failed int,
        problems jsonb)
      on conflict (token) do nothing`;
  });
  return results;
}

/** Records that the index now holds these content versions (rows changed since are left alone). */
export async function markIndexed(
  sql: Sql,
  done: { id: string; contentHash: string }[],
): Promise<void> {
  if (done.length === 0) return;
  await sql`
    update documents d set indexed_hash = v.hash, indexed_at = now(), index_error = null
    from jsonb_to_recordset(${
    sql.json(done.map((d) => ({ id: d.id, hash: d.contentHash })))
  }) as v(id bigint, hash text)
    where d.id = v.id and d.content_hash = v.hash`;
}

/**
 * Sets rows back to waiting for the index (they were marked indexed when
 * stored), with the index's reason when it refused them: the background
 * catch-up skips refused rows until `ingestor:reconcile`.
 */
export async function markNotIndexed(
  sql: Sql,
  rows: { id: string; contentHash: string; reason?: string }[],
): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    update documents d set indexed_hash = null, indexed_at = null, index_error = v.reason
    from jsonb_to_recordset(${
    sql.json(
      rows.map((d) => ({
        id: d.id,
        hash: d.contentHash,
        reason: d.reason?.slice(0, 1000) ?? null,
      })),
    )
  }) as v(id bigint, hash text, reason text)
    where d.id = v.id and d.content_hash = v.hash`;
}

/** Records why the index refused documents; the background sweep skips them until reconcile. */
export async function markIndexError(
  sql: Sql,
  failed: { id: string; contentHash: string; reason: string }[],
): Promise<void> {
  if (failed.length === 0) return;
  await sql`
    update documents d set index_error = v.reason
    from jsonb_to_recordset(${
    sql.json(
      failed.map((d) => ({ id: d.id, hash: d.contentHash, reason: d.reason.slice(0, 1000) })),
    )
  }) as v(id bigint, hash text, reason text)
    where d.id = v.id and d.content_hash = v.hash`;
}

interface DocumentRow {
  id: string;
  source_path: string;
  record_key: string;
  format: string;
  content_hash: string;
  title: string;
  body: string;
  metadata: Record<string, unknown>;
  revision: string;
  created_at: Date;
  updated_at: Date;
}

/** A stored row as an index document. */
export function indexableFromRow(row: DocumentRow): IndexableDocument {
  return {
    id: String(row.id),
    revision: String(row.revision),
    contentHash: row.content_hash,
    source: {
      title: row.title,
      body: row.body,
      path: row.source_path,
      record_key: row.record_key,
      format: row.format,
      content_hash: row.content_hash,
      metadata: row.metadata,
      created_at: row.created_at.toISOString(),
      updated_at: row.updated_at.toISOString(),
    },
  };
}

/**
 * Rows whose index copy lags (indexed_hash differs from content_hash), by id
 * after `afterId`. Rows the index refused are left out unless `withErrors`;
 * rows changed in the last `settleSeconds` are left to the worker indexing them.
 */
export async function loadUnindexed(
  sql: Sql,
  options: { afterId?: string; limit?: number; withErrors?: boolean; settleSeconds?: number } = {},
): Promise<IndexableDocument[]> {
  const rows = await sql<DocumentRow[]>`
    select id, source_path, record_key, format, content_hash, title, body, metadata, revision,
      created_at, updated_at
    from documents
    where indexed_hash is distinct from content_hash
      and id > ${options.afterId ?? "0"}::bigint
      and (${options.withErrors ?? false} or index_error is null)
      and updated_at < now() - make_interval(secs => ${options.settleSeconds ?? 0})
    order by id
    limit ${options.limit ?? 1000}`;
  return rows.map(indexableFromRow);
}

/** Stored rows by id, as index documents. */
export async function loadDocuments(sql: Sql, ids: string[]): Promise<IndexableDocument[]> {
  if (ids.length === 0) return [];
  const rows = await sql<DocumentRow[]>`
    select id, source_path, record_key, format, content_hash, title, body, metadata, revision,
      created_at, updated_at
    from documents where id in ${sql(ids)} order by id`;
  return rows.map(indexableFromRow);
}

/** The rows of some source files that claim to be indexed, as index documents. */
export async function loadIndexedOfPaths(sql: Sql, paths: string[]): Promise<IndexableDocument[]> {
  if (paths.length === 0) return [];
  const rows = await sql<DocumentRow[]>`
    select id, source_path, record_key, format, content_hash, title, body, metadata, revision,
      created_at, updated_at
    from documents where source_path in ${sql(paths)} and indexed_hash = content_hash
    order by id`;
  return rows.map(indexableFromRow);
}

/** How many rows wait for the index, and how many of those the index refused. */
export async function indexLag(sql: Sql): Promise<{ waiting: number; refused: number }> {
  const [row] = await sql<{ waiting: string; refused: string }[]>`
    select count(*) as waiting, count(*) filter (where index_error is not null) as refused
    from documents where indexed_hash is distinct from content_hash`;
  return { waiting: Number(row?.waiting ?? 0), refused: Number(row?.refused ?? 0) };
}

/** Drops receipts older than `days` (a redelivery after that long is not expected). */
export async function pruneReceipts(sql: Sql, days = 7): Promise<number> {
  const result =
    await sql`delete from ingest_receipts where created_at < now() - make_interval(days => ${days})`;
  return result.count;
}
