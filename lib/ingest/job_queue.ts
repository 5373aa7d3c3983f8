import {
  acknowledgeScript,
  promoteRetriesScript,
  requeueDeadScript,
  scheduleRetryScript,
} from "./_queue_scripts.ts";
import type { RedisCommands } from "./pipeline_clients.ts";

/**
 * The Redis names of the ingestion queue. This is the contract between the
 * `ingestor:*` tasks and any ingestor app (see services/ingestor/README.md).
 */
export interface QueueKeys {
  /** Stream of file messages (`job`, `path`, `token`, `attempt`, `enqueued`). */
  stream: string;
  /** Consumer group of the workers on {@link stream}. */
  group: string;
  /** Stream of files that failed for good. */
  dead: string;
  /** Sorted set of messages waiting for a retry (score: due time in ms). */
  retry: string;
  /** Sorted set of job ids by creation time. */
  recent: string;
  /** Counter bumped whenever documents reach the index (the web app's cache key). */
  generation: string;
  /** Hash of one job's progress. */
  job(id: string): string;
  /** List of one job's failures (JSON `{file, line, reason}`), capped. */
  failures(id: string): string;
}

/** The queue names under a prefix (`ingest` by default). */
export function queueKeys(prefix = "ingest"): QueueKeys {
  return {
    stream: `${prefix}:jobs`,
    group: `${prefix}-workers`,
    dead: `${prefix}:dead`,
    retry: `${prefix}:retry`,
    recent: `${prefix}:recent`,
    generation: `${prefix}:generation`,
    job: (id) => `${prefix}:job:${id}`,
    failures: (id) => `${prefix}:job:${id}:failures`,
  };
}

/** How long job progress stays in Redis after its last change. */
export const jobTtlSeconds = 7 * 24 * 3600;
/** Failures kept per job (the count is exact beyond it). */
export const maxFailuresKept = 1000;

/** One file to ingest, as a worker receives it. */
export interface JobMessage {
  /** Stream entry id. */
  id: string;
  job: string;
  /** Absolute path of the file. */
  path: string;
  /** Unique per enqueued file; the worker's receipts are keyed by it. */
  token: string;
  /** Failed attempts so far. */
  attempt: number;
  /** When the file was enqueued (ms since the epoch). */
  enqueued: number;
}

/** One failure reported for a job: a file (and line) and why. */
export interface JobFailure {
  file: string;
  line?: number;
  reason: string;
}

/** What processing one message produced. */
export interface MessageOutcome {
  /** Documents stored new or changed. */
  documents: number;
  /** Documents unchanged since the last ingest. */
  skipped: number;
  /** Records (or whole files) that could not be stored. */
  failed: number;
  /** Documents stored but not (yet) in the search index. */
  unindexed: number;
  /** The file as a whole failed. */
  fileFailed: boolean;
  failures: JobFailure[];
}

type RawEntry = [string, string[] | null];

/** Messages from the raw entries of XREADGROUP / XAUTOCLAIM; deleted entries come back in `gone`. */
export function parseEntries(entries: unknown): { messages: JobMessage[]; gone: string[] } {
  const messages: JobMessage[] = [];
  const gone: string[] = [];
  for (const entry of (entries ?? []) as (RawEntry | null)[]) {
    if (!entry) continue;
    const [id, flat] = entry;
    if (!flat) {
      gone.push(id);
      continue;
    }
    const f: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i]!] = flat[i + 1]!;
    if (!f.job || !f.path || !f.token) {
      gone.push(id);
      continue;
    }
    messages.push({
      id,
      job: f.job,
      path: f.path,
      token: f.token,
      attempt: Number(f.attempt ?? 0) || 0,
      enqueued: Number(f.enqueued ?? 0) || 0,
    });
  }
  return { messages, gone };
}

/** Creates the stream and its consumer group when missing (from the start, so nothing enqueued earlier is missed). */
export async function ensureGroup(redis: RedisCommands, keys: QueueKeys): Promise<void> {
  try {
    await redis.sendCommand(["XGROUP", "CREATE", keys.stream, keys.group, "0", "MKSTREAM"]);
  } catch (error) {
    if (!String((error as Error).message).includes("BUSYGROUP")) throw error;
  }
}

/** Enqueues one message per file under a new job and records the job's size first. */
export async function enqueueJob(
  redis: RedisCommands,
  keys: QueueKeys,
  job: { id: string; label: string; files: string[] },
): Promise<void> {
  await ensureGroup(redis, keys);
  const now = String(Date.now());
  await redis.sendCommand([
    "HSET",
    keys.job(job.id),
    "id",
    job.id,
    "label",
    job.label,
    "created_at",
    now,
    "updated_at",
    now,
    "files_total",
    String(job.files.length),
    "files_done",
    "0",
  ]);
  await redis.sendCommand(["EXPIRE", keys.job(job.id), String(jobTtlSeconds)]);
  await redis.sendCommand(["ZADD", keys.recent, now, job.id]);
  await redis.sendCommand(["ZREMRANGEBYRANK", keys.recent, "0", "-101"]);
  const chunk = 500;
  for (let i = 0; i < job.files.length; i += chunk) {
    await Promise.all(
      job.files.slice(i, i + chunk).map((path, j) =>
        redis.sendCommand([
          "XADD",
          keys.stream,
          "*",
          "job",
          job.id,
          "path",
          path,
          "token",
          `${job.id}:${i + j + 1}`,
          "attempt",
          "0",
          "enqueued",
          now,
        ])
      ),
    );
  }
}

/**
 * Acknowledges a message and adds its outcome to its job, atomically; with
 * `deadReason` also dead-letters it. Returns false when another worker
 * already acknowledged it (nothing is counted then).
 */
export async function acknowledge(
  redis: RedisCommands,
  keys: QueueKeys,
  message: JobMessage,
  outcome: MessageOutcome,
  deadReason = "",
): Promise<boolean> {
  const result = await redis.sendCommand([
    "EVAL",
    acknowledgeScript,
    "4",
    keys.stream,
    keys.job(message.job),
    keys.failures(message.job),
    keys.dead,
    keys.group,
    message.id,
    String(jobTtlSeconds),
    String(outcome.documents),
    String(outcome.skipped),
    String(outcome.failed),
    String(outcome.unindexed),
    outcome.fileFailed ? "1" : "0",
    String(maxFailuresKept),
    deadReason,
    message.job,
    message.path,
    message.token,
    String(message.attempt + 1),
    String(Date.now()),
    ...outcome.failures.slice(0, maxFailuresKept).map((f) => JSON.stringify(f)),
  ]);
  return Number(result) === 1;
}

/** Takes a message out of the stream and puts it back after `delayMs` with one more attempt. */
export async function scheduleRetry(
  redis: RedisCommands,
  keys: QueueKeys,
  message: JobMessage,
  delayMs: number,
): Promise<boolean> {
  const payload = JSON.stringify({
    job: message.job,
    path: message.path,
    token: message.token,
    attempt: message.attempt + 1,
    enqueued: message.enqueued,
  });
  const result = await redis.sendCommand([
    "EVAL",
    scheduleRetryScript,
    "2",
    keys.stream,
    keys.retry,
    keys.group,
    message.id,
    String(Date.now() + delayMs),
    payload,
  ]);
  return Number(result) === 1;
}

/** Moves retries that are due back into the stream; returns how many. */
export async function promoteDueRetries(redis: RedisCommands, keys: QueueKeys): Promise<number> {
  return Number(
    await redis.sendCommand([
      "EVAL",
      promoteRetriesScript,
      "2",
      keys.retry,
      keys.stream,
      String(Date.now()),
      "500",
    ]),
  );
}

/** Moves up to `limit` dead letters back into the stream as job `jobId`; returns how many files. */
export async function requeueDeadLetters(
  redis: RedisCommands,
  keys: QueueKeys,
  jobId: string,
  limit = 100_000,
): Promise<number> {
  await ensureGroup(redis, keys);
  const now = String(Date.now());
  const moved = Number(
    await redis.sendCommand([
      "EVAL",
      requeueDeadScript,
      "3",
      keys.dead,
      keys.stream,
      keys.job(jobId),
      jobId,
      String(limit),
      now,
      String(jobTtlSeconds),
    ]),
  );
  if (moved > 0) await redis.sendCommand(["ZADD", keys.recent, now, jobId]);
  return moved;
}

/** Bumps the index generation (cached searches from before are no longer used). */
export async function bumpIndexGeneration(redis: RedisCommands, keys: QueueKeys): Promise<void> {
  await redis.sendCommand(["INCR", keys.generation]);
}

/** Backoff before retry number `attempt` (1-based): 1 s, 2 s, 4 s... capped at 60 s, with jitter. */
export function retryDelayMs(attempt: number, baseMs = 1000): number {
  const exp = Math.min(baseMs * 2 ** Math.max(0, attempt - 1), 60_000);
  return Math.round(exp * (0.75 + Math.random() * 0.5));
}
