import type { Sql } from "postgres";
import { errorMessage } from "../../../lib/errors.ts";
import type { OpenSearchClient } from "../../../lib/opensearch/opensearch_client.ts";
import { contentHash } from "../../../lib/ingest/content_hash.ts";
import { FileParseError } from "../../../lib/ingest/document.ts";
import type { BulkIndexResult } from "../../../lib/ingest/document_index.ts";
import {
  type FileToStore,
  findReceipts,
  type IndexableDocument,
  loadIndexedOfPaths,
  pruneReceipts,
  type StoredFile,
  storeFiles,
} from "../../../lib/ingest/document_store.ts";
import {
  acknowledge,
  bumpIndexGeneration,
  ensureGroup,
  type JobMessage,
  type MessageOutcome,
  parseEntries,
  promoteDueRetries,
  type QueueKeys,
  queueKeys,
  retryDelayMs,
  scheduleRetry,
} from "../../../lib/ingest/job_queue.ts";
import { parseDocumentFile } from "../../../lib/ingest/parse_document_file.ts";
import { resolveBoundary } from "../../../lib/ingest/input_roots.ts";
import type { RedisCommands } from "../../../lib/ingest/pipeline_clients.ts";
import { catchUpIndex, indexStoredRows } from "../../../lib/ingest/reconcile.ts";
import { log } from "./log.ts";
import { isTransientStoreError } from "./store_errors.ts";
import type { WorkerConfig } from "./worker_config.ts";

/** Counters the /health endpoint shows. */
export interface WorkerStats {
  startedAt: string;
  filesProcessed: number;
  documentsStored: number;
  documentsIndexed: number;
  lastBatchAt: string | null;
  /** Why the search index cannot be written now, when it cannot. */
  indexUnavailable: string | null;
  /** Rows waiting for the index at the last background check. */
  waitingForIndex: number;
}

interface ParsedMessage {
  message: JobMessage;
  file: FileToStore;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The ingestion worker: reads file messages from the Redis stream with a
 * consumer group, stores their documents in PostgreSQL (one transaction per
 * batch, with a receipt per message), indexes them with `_bulk`, and only
 * then acknowledges each message and counts it in its job, atomically.
 * A worker that dies loses nothing: its unacknowledged files are read again
 * when it restarts (or taken over by another worker after `claimIdleMs`),
 * and receipts make the second run count and write nothing twice.
 */
export class IngestWorker {
  readonly stats: WorkerStats = {
    startedAt: new Date().toISOString(),
    filesProcessed: 0,
    documentsStored: 0,
    documentsIndexed: 0,
    lastBatchAt: null,
    indexUnavailable: null,
    waitingForIndex: 0,
  };
  readonly keys: QueueKeys;
  readonly #config: WorkerConfig;
  readonly #sql: Sql;
  readonly #redis: RedisCommands;
  readonly #reader: RedisCommands;
  readonly #search: OpenSearchClient;
  readonly #inFlight = new Set<string>();
  readonly #running = new Set<Promise<void>>();
  #sweeping = false;
  /** When documents last reached the index, if the cache generation was not bumped since. */
  #indexedAt: number | null = null;

  constructor(
    config: WorkerConfig,
    clients: { sql: Sql; redis: RedisCommands; reader: RedisCommands; search: OpenSearchClient },
  ) {
    this.#config = config;
    this.#sql = clients.sql;
    this.#redis = clients.redis;
    this.#reader = clients.reader;
    this.#search = clients.search;
    this.keys = queueKeys(config.endpoints.queuePrefix);
  }

  /** Runs until the signal aborts, then finishes the batches in flight. */
  async run(signal: AbortSignal): Promise<void> {
    const { keys } = this;
    const c = this.#config;
    let failures = 0;
    let ownPendingFrom: string | null = "0";
    let lastPromote = 0;
    let lastClaim = Date.now();
    let lastSweep = 0;
    let lastPrune = 0;
    while (!signal.aborted) {
      try {
        if (failures === 0 && ownPendingFrom === "0") await ensureGroup(this.#redis, keys);
        const now = Date.now();
        if (now - lastPromote >= 1000) {
          lastPromote = now;
          const moved = await promoteDueRetries(this.#redis, keys);
          if (moved > 0) log("info", `${moved} file(s) back in the queue for another attempt`);
        }
        // bump the cache generation again once the index has refreshed (documents.json: 5 s), so
        // no search cached between a write and that refresh outlives it
        if (this.#indexedAt !== null && now - this.#indexedAt > 6000) {
          this.#indexedAt = null;
          await bumpIndexGeneration(this.#redis, keys);
        }
        // catch up on rows left waiting only while idle: a batch in flight indexes its own rows
        if (now - lastSweep >= 5000 && !this.#sweeping && this.#running.size === 0) {
          lastSweep = now;
          void this.#sweep();
        }
        if (now - lastPrune >= 3_600_000) {
          lastPrune = now;
          pruneReceipts(this.#sql).catch(() => {});
        }
        await this.#slot(signal);
        if (signal.aborted) break;
        let messages: JobMessage[] = [];
        if (ownPendingFrom !== null) {
          // files this consumer had taken before it stopped or died: finish them first
          const reply = await this.#reader.sendCommand([
            "XREADGROUP",
            "GROUP",
            keys.group,
            c.consumer,
            "COUNT",
            String(c.readBatch),
            "STREAMS",
            keys.stream,
            ownPendingFrom,
          ]);
          const entries = streamEntries(reply);
          if (entries.length === 0) {
            ownPendingFrom = null;
          } else {
            ownPendingFrom = String((entries.at(-1) as [string])[0]);
            const { messages: found, gone } = parseEntries(entries);
            await this.#forget(gone);
            messages = found;
            if (found.length) {
              log("info", `resuming ${found.length} file(s) taken before a restart`);
            }
          }
        } else if (now - lastClaim >= Math.max(1000, c.claimIdleMs / 2)) {
          lastClaim = now;
          const reply = await this.#redis.sendCommand([
            "XAUTOCLAIM",
            keys.stream,
            keys.group,
            c.consumer,
            String(c.claimIdleMs),
            "0-0",
            "COUNT",
            String(c.readBatch),
          ]) as [string, unknown, unknown];
          const { messages: found } = parseEntries(reply?.[1]);
          messages = found.filter((m) => !this.#inFlight.has(m.id));
          if (messages.length) {
            log("info", `took over ${messages.length} file(s) idle for ${c.claimIdleMs} ms`);
          }
        }
        if (messages.length === 0 && ownPendingFrom === null) {
          const reply = await this.#reader.sendCommand([
            "XREADGROUP",
            "GROUP",
            keys.group,
            c.consumer,
            "COUNT",
            String(c.readBatch),
            "BLOCK",
            "1000",
            "STREAMS",
            keys.stream,
            ">",
          ]);
          messages = parseEntries(streamEntries(reply)).messages;
        }
        messages = messages.filter((m) => !this.#inFlight.has(m.id));
        failures = 0;
        if (messages.length === 0) continue;
        await this.#dispatch(messages, signal);
      } catch (error) {
        failures++;
        if (failures === 1 || failures % 30 === 0) {
          log("error", `queue unavailable: ${errorMessage(error)}`);
        }
        if (/NOGROUP/.test(errorMessage(error))) ownPendingFrom = "0";
        await sleep(Math.min(200 * 2 ** failures, 5000));
      }
    }
    await Promise.allSettled([...this.#running]);
  }

  async #slot(signal: AbortSignal): Promise<void> {
    while (this.#running.size >= this.#config.pipelineDepth && !signal.aborted) {
      await Promise.race([...this.#running, sleep(1000)]);
    }
  }

  async #forget(ids: string[]): Promise<void> {
    if (ids.length) {
      await this.#redis.sendCommand(["XACK", this.keys.stream, this.keys.group, ...ids]);
    }
  }

  /**
   * Parses the files read and hands them on in groups of about
   * `batchDocuments` documents, each stored, indexed and acknowledged by its
   * own task; up to `pipelineDepth` groups are in flight (one storing while
   * another is indexed), and the next files are parsed meanwhile.
   */
  async #dispatch(messages: JobMessage[], signal: AbortSignal): Promise<void> {
    for (const m of messages) this.#inFlight.add(m.id);
    const launched = new Set<string>();
    const launch = async (group: ParsedMessage[]) => {
      await this.#slot(signal);
      if (signal.aborted) return; // left pending: read again after the restart
      for (const p of group) launched.add(p.message.id);
      const task = this.#processGroup(group).finally(() => {
        for (const p of group) this.#inFlight.delete(p.message.id);
        this.#running.delete(task);
        this.stats.lastBatchAt = new Date().toISOString();
      });
      this.#running.add(task);
    };
    try {
      let group: ParsedMessage[] = [];
      let documents = 0;
      for (const message of messages) {
        if (signal.aborted) break;
        const parsed = await this.#parse(message);
        if (!parsed) continue;
        group.push(parsed);
        documents += parsed.file.documents.length;
        if (documents >= this.#config.batchDocuments) {
          await launch(group);
          group = [];
          documents = 0;
        }
      }
      if (group.length) await launch(group);
    } finally {
      for (const m of messages) if (!launched.has(m.id)) this.#inFlight.delete(m.id);
    }
  }

  /** Stores, indexes and acknowledges one group of parsed files. */
  async #processGroup(group: ParsedMessage[]): Promise<void> {
    try {
      const receipts = await findReceipts(this.#sql, group.map((p) => p.message.token));
      if (receipts.size) {
        log("info", `${receipts.size} file(s) were stored before a restart: acknowledging them`);
      }
      const rest = group.filter((p) => !receipts.has(p.message.token));
      const done = group.filter((p) => receipts.has(p.message.token));
      if (done.length) {
        // stored by an earlier delivery that died before acknowledging: its rows may not have
        // reached the index, so index them (again: versions make that harmless), then count
        // each file once, now
        const rows = await loadIndexedOfPaths(this.#sql, done.map((p) => p.message.path));
        const missed = new Map<string, number>();
        if (rows.length) {
          const result = await this.#index(rows);
          const taken = new Set(result.indexed.map((d) => d.id));
          for (const r of rows) {
            if (!taken.has(r.id)) missed.set(r.source.path, (missed.get(r.source.path) ?? 0) + 1);
          }
        }
        for (const p of done) {
          const receipt = receipts.get(p.message.token)!;
          await this.#finish(
            p.message,
            outcomeOf(p.message, receipt, missed.get(p.message.path) ?? 0),
          );
        }
      }
      if (rest.length) await this.#storeIndexAcknowledge(rest);
    } catch (error) {
      // an acknowledged message is left alone by both (their XACK finds nothing to do)
      for (const p of group) await this.#retryOrBury(p.message, error).catch(() => {});
    }
  }

  /**
   * Parses one file; a file that cannot be read as a whole, or that its
   * boundary refuses (a job names any path: it is checked again here), is
   * dead-lettered at once (it would fail again).
   */
  async #parse(message: JobMessage): Promise<ParsedMessage | undefined> {
    try {
      const parsed = await parseDocumentFile(message.path, {
        maxBytes: this.#config.maxFileBytes,
        // resolved at each file: a root created or re-linked after the start counts as it is now
        boundary: resolveBoundary(this.#config.boundary),
      });
      return {
        message,
        file: {
          token: message.token,
          jobId: message.job,
          path: message.path,
          format: parsed.format,
          documents: parsed.documents,
          hashes: parsed.documents.map(contentHash),
          problems: parsed.problems,
        },
      };
    } catch (error) {
      const reason = errorMessage(error);
      const line = error instanceof FileParseError ? error.line : undefined;
      await this.#finish(message, {
        documents: 0,
        skipped: 0,
        failed: 1,
        unindexed: 0,
        fileFailed: true,
        failures: [{ file: message.path, ...(line === undefined ? {} : { line }), reason }],
      }, reason);
      log("warn", `${message.path}${line ? `:${line}` : ""}: ${reason}`);
      return undefined;
    }
  }

  async #storeIndexAcknowledge(group: ParsedMessage[]): Promise<void> {
    let stored: StoredFile[];
    const began = performance.now();
    try {
      stored = await storeFiles(this.#sql, group.map((p) => p.file));
    } catch (error) {
      if (isTransientStoreError(error) || group.length === 1) {
        for (const p of group) await this.#retryOrBury(p.message, error);
        return;
      }
      // one file's data broke the batch: store the files one by one to find it
      for (const p of group) {
        try {
          const [one] = await storeFiles(this.#sql, [p.file]);
          await this.#indexAndAcknowledge([p], [one!], 0);
        } catch (e) {
          await this.#retryOrBury(p.message, e);
        }
      }
      return;
    }
    await this.#indexAndAcknowledge(group, stored, performance.now() - began);
  }

  async #indexAndAcknowledge(
    group: ParsedMessage[],
    stored: StoredFile[],
    storeMs: number,
  ): Promise<void> {
    const changed = stored.flatMap((s) => s.changed);
    const began = performance.now();
    const indexed = new Set<string>();
    if (changed.length) {
      const result = await this.#index(changed);
      for (const d of result.indexed) indexed.add(d.id);
    }
    const indexMs = performance.now() - began;
    await Promise.all(group.map((p, i) => {
      const s = stored[i]!;
      this.stats.documentsStored += s.documents;
      const unindexed = s.changed.filter((d) => !indexed.has(d.id)).length;
      return this.#finish(p.message, outcomeOf(p.message, s, unindexed));
    }));
    const sum = (f: (s: StoredFile) => number) => stored.reduce((n, s) => n + f(s), 0);
    log(
      "info",
      `${group.length} file(s): ${sum((s) => s.documents)} stored, ${
        sum((s) => s.skipped)
      } unchanged, ${sum((s) => s.failed)} malformed (store ${Math.round(storeMs)} ms, index ${
        Math.round(indexMs)
      } ms, acknowledge ${Math.round(performance.now() - began - indexMs)} ms)`,
    );
  }

  /**
   * Indexes rows stored as indexed and sets back to waiting those the index
   * did not take. Throws when PostgreSQL cannot record that: the messages
   * then stay unacknowledged and are handled again.
   */
  async #index(rows: IndexableDocument[]): Promise<BulkIndexResult> {
    const result = await indexStoredRows(
      this.#sql,
      this.#search,
      this.#config.endpoints.index,
      rows,
      {
        maxBytes: this.#config.bulkBytes,
      },
    );
    this.stats.documentsIndexed += result.indexed.length;
    this.#indexState(result.unavailable);
    if (result.refused.length) {
      log(
        "warn",
        `the index refused ${result.refused.length} document(s): ${result.refused[0]!.reason}`,
      );
    }
    if (result.indexed.length) {
      this.#indexedAt = Date.now();
      await bumpIndexGeneration(this.#redis, this.keys);
    }
    return result;
  }

  async #finish(message: JobMessage, outcome: MessageOutcome, deadReason = ""): Promise<void> {
    await acknowledge(this.#redis, this.keys, message, outcome, deadReason);
    this.stats.filesProcessed++;
  }

  async #retryOrBury(message: JobMessage, error: unknown): Promise<void> {
    const reason = errorMessage(error);
    const attempt = message.attempt + 1;
    if (!isTransientStoreError(error) || attempt >= this.#config.maxAttempts) {
      const why = isTransientStoreError(error)
        ? `gave up after ${attempt} attempts: ${reason}`
        : reason;
      log("error", `${message.path}: ${why} (moved to the dead-letter stream)`);
      await this.#finish(message, {
        documents: 0,
        skipped: 0,
        failed: 1,
        unindexed: 0,
        fileFailed: true,
        failures: [{ file: message.path, reason: why }],
      }, why);
      return;
    }
    const delay = retryDelayMs(attempt, this.#config.retryBaseMs);
    log("warn", `${message.path}: attempt ${attempt} failed (${reason}); retrying in ${delay} ms`);
    await scheduleRetry(this.#redis, this.keys, message, delay);
  }

  #indexState(unavailable: string | undefined): void {
    if (unavailable && !this.stats.indexUnavailable) {
      log("warn", `search index unavailable, documents wait in PostgreSQL: ${unavailable}`);
    } else if (!unavailable && this.stats.indexUnavailable) {
      log("info", "search index reachable again");
    }
    this.stats.indexUnavailable = unavailable ?? null;
  }

  /** Indexes rows left behind (index down, worker died between commit and index). */
  async #sweep(): Promise<void> {
    this.#sweeping = true;
    try {
      const result = await catchUpIndex(this.#sql, this.#search, this.#config.endpoints.index, {
        maxBytes: this.#config.bulkBytes,
        settleSeconds: 5,
        maxDocuments: 50_000,
      });
      this.stats.waitingForIndex = result.waiting;
      this.stats.documentsIndexed += result.indexed;
      if (result.indexed > 0) {
        log("info", `indexed ${result.indexed} document(s) that were waiting for the index`);
        this.#indexedAt = Date.now();
        await bumpIndexGeneration(this.#redis, this.keys);
      }
      if (result.indexed > 0 || result.unavailable) this.#indexState(result.unavailable);
    } catch {
      // PostgreSQL or Redis away: the next sweep tries again
    } finally {
      this.#sweeping = false;
    }
  }
}

/** The entries of the one stream in an XREADGROUP reply (RESP2 array or RESP3 map form). */
function streamEntries(reply: unknown): unknown[] {
  if (!reply || typeof reply !== "object") return [];
  const first = Array.isArray(reply)
    ? (reply[0] as [string, unknown] | undefined)?.[1]
    : reply instanceof Map
    ? [...reply.values()][0]
    : Object.values(reply)[0];
  return Array.isArray(first) ? first : [];
}

function outcomeOf(message: JobMessage, s: StoredFile, unindexed: number): MessageOutcome {
  return {
    documents: s.documents,
    skipped: s.skipped,
    failed: s.failed,
    unindexed,
    fileFailed: false,
    failures: s.problems.map((p) => ({ file: message.path, line: p.line, reason: p.reason })),
  };
}
