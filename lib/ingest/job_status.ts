import type { JobFailure, QueueKeys } from "./job_queue.ts";
import type { RedisCommands } from "./pipeline_clients.ts";

/** The progress of one ingestion job, as the worker reports it in Redis. */
export interface JobProgress {
  id: string;
  /** What was enqueued (the PATH or GLOB). */
  label: string;
  createdAt: string;
  updatedAt: string;
  filesTotal: number;
  /** Files finished (stored, skipped or failed for good). */
  filesDone: number;
  filesFailed: number;
  documents: number;
  skipped: number;
  failed: number;
  /** Documents stored while the search index could not take them. */
  unindexed: number;
  /** The first failures (up to the cap); `failed` is the exact count. */
  failures: JobFailure[];
  done: boolean;
}

function pairs(flat: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(flat)) {
    for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = String(flat[i + 1]);
  } else if (flat && typeof flat === "object") {
    for (const [k, v] of Object.entries(flat)) out[k] = String(v);
  }
  return out;
}

const iso = (ms: string | undefined) => (ms ? new Date(Number(ms)).toISOString() : "");

/** Reads a job's progress; undefined when it does not exist (or expired). */
export async function readJob(
  redis: RedisCommands,
  keys: QueueKeys,
  id: string,
  options: { failures?: boolean } = {},
): Promise<JobProgress | undefined> {
  const h = pairs(await redis.sendCommand(["HGETALL", keys.job(id)]));
  if (!h.files_total) return undefined;
  const n = (k: string) => Number(h[k] ?? 0) || 0;
  const failures: JobFailure[] = [];
  if (options.failures ?? true) {
    const raw = await redis.sendCommand(["LRANGE", keys.failures(id), "0", "-1"]) as string[];
    for (const item of raw ?? []) {
      try {
        failures.push(JSON.parse(item) as JobFailure);
      } catch {
        failures.push({ file: "?", reason: item });
      }
    }
  }
  return {
    id,
    label: h.label ?? "",
    createdAt: iso(h.created_at),
    updatedAt: iso(h.updated_at),
    filesTotal: n("files_total"),
    filesDone: n("files_done"),
    filesFailed: n("files_failed"),
    documents: n("documents"),
    skipped: n("skipped"),
    failed: n("failed"),
    unindexed: n("unindexed"),
    failures,
    done: n("files_done") >= n("files_total"),
  };
}

/** The queue as a whole. */
export interface QueueStatus {
  /** Files enqueued and not yet delivered to a worker. */
  depth: number;
  /** Files delivered and not yet acknowledged. */
  inFlight: number;
  /** Files waiting for a retry after a failure. */
  retrying: number;
  /** Files that failed for good (`ingestor:retry-dead` puts them back). */
  dead: number;
  /** Age of the oldest file not yet finished, in seconds (0 when idle). */
  lagSeconds: number;
  /** Workers of the consumer group, with their in-flight counts and idle times. */
  consumers: { name: string; pending: number; idleSeconds: number }[];
  /** The most recent jobs, newest first. */
  recentJobs: string[];
}

const idMs = (id: string | undefined) => (id ? Number(id.split("-")[0]) || 0 : 0);

/** Depth, in-flight, retries, dead letters, lag and workers of the queue. */
export async function queueStatus(redis: RedisCommands, keys: QueueKeys): Promise<QueueStatus> {
  const [length, retrying, dead, recent] = await Promise.all([
    redis.sendCommand(["XLEN", keys.stream]),
    redis.sendCommand(["ZCARD", keys.retry]),
    redis.sendCommand(["XLEN", keys.dead]),
    redis.sendCommand(["ZREVRANGE", keys.recent, "0", "9"]),
  ]);
  let inFlight = 0;
  let lastDelivered: string | undefined;
  let consumers: QueueStatus["consumers"] = [];
  let oldestPending: string | undefined;
  try {
    const groups = (await redis.sendCommand(["XINFO", "GROUPS", keys.stream])) as unknown[];
    for (const g of groups ?? []) {
      const info = pairs(g);
      if (info.name !== keys.group) continue;
      inFlight = Number(info.pending ?? 0) || 0;
      lastDelivered = info["last-delivered-id"];
    }
    const list =
      (await redis.sendCommand(["XINFO", "CONSUMERS", keys.stream, keys.group])) as unknown[];
    consumers = (list ?? []).map((c) => {
      const info = pairs(c);
      return {
        name: info.name ?? "?",
        pending: Number(info.pending ?? 0) || 0,
        idleSeconds: Math.round((Number(info.idle ?? 0) || 0) / 1000),
      };
    });
    const summary = (await redis.sendCommand(["XPENDING", keys.stream, keys.group])) as unknown[];
    if (Array.isArray(summary) && Number(summary[0]) > 0) oldestPending = String(summary[1]);
  } catch (error) {
    // no stream or group yet: an empty queue
    if (!/no such key|NOGROUP|ERR/i.test(String((error as Error).message))) throw error;
  }
  const depth = Math.max(0, (Number(length) || 0) - inFlight);
  let firstWaiting: string | undefined;
  if (depth > 0) {
    const next = (await redis.sendCommand([
      "XRANGE",
      keys.stream,
      lastDelivered && lastDelivered !== "0-0" ? `(${lastDelivered}` : "-",
      "+",
      "COUNT",
      "1",
    ])) as [string, unknown][];
    firstWaiting = next?.[0]?.[0];
  }
  const oldest = [idMs(oldestPending), idMs(firstWaiting)].filter((ms) => ms > 0);
  const lagSeconds = oldest.length ? Math.max(0, (Date.now() - Math.min(...oldest)) / 1000) : 0;
  return {
    depth,
    inFlight,
    retrying: Number(retrying) || 0,
    dead: Number(dead) || 0,
    lagSeconds: Math.round(lagSeconds * 10) / 10,
    consumers,
    recentJobs: (recent as string[] | null) ?? [],
  };
}

/** One file in the dead-letter stream. */
export interface DeadLetter {
  id: string;
  job: string;
  path: string;
  attempts: number;
  reason: string;
  at: string;
}

/** The first `limit` dead letters, oldest first. */
export async function listDeadLetters(
  redis: RedisCommands,
  keys: QueueKeys,
  limit = 100,
): Promise<DeadLetter[]> {
  const entries = (await redis.sendCommand([
    "XRANGE",
    keys.dead,
    "-",
    "+",
    "COUNT",
    String(limit),
  ])) as [string, string[]][] | null;
  return (entries ?? []).map(([id, flat]) => {
    const f = pairs(flat);
    return {
      id,
      job: f.job ?? "",
      path: f.path ?? "",
      attempts: Number(f.attempts ?? 0) || 0,
      reason: f.reason ?? "",
      at: iso(f.at),
    };
  });
}
