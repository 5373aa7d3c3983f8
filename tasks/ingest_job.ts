/**
 * Enqueueing an ingestion job and following it to the end: shared by
 * `ingestor:ingest`, `ingestor:ingest-single` and `ingestor:retry-dead`.
 * @module
 */
import { errorMessage, FailedError } from "../lib/errors.ts";
import type { JobFailure, QueueKeys } from "../lib/ingest/job_queue.ts";
import type { JobProgress } from "../lib/ingest/job_status.ts";
import type { RedisConnection } from "../lib/ingest/pipeline_clients.ts";
import type { PipelineEndpoints } from "../lib/ingest/pipeline_endpoints.ts";
import type { Output } from "../lib/output/output.ts";
import { createProgress } from "../lib/output/progress.ts";
import { sleep } from "../lib/runtime/proc.ts";
import type { TaskContext } from "../lib/task/task_context.ts";
import { serviceHost } from "../lib/service/service_context.ts";

/** The result of an ingest: `--json` prints it as it is. */
export interface IngestSummary {
  job: string;
  /** What was asked for (the paths or globs). */
  label: string;
  /** Files enqueued. */
  files: number;
  /** Matching files skipped because the pipeline does not read their type. */
  unsupported: number;
  /** False with --no-wait: the job was only enqueued. */
  waited: boolean;
  /** All files finished. */
  done: boolean;
  /** Documents stored new or changed. */
  documents: number;
  /** Documents unchanged since the last ingest. */
  skipped: number;
  /** Malformed records plus files that failed as a whole. */
  failed: number;
  filesFailed: number;
  /** Documents stored while OpenSearch could not take them. */
  unindexed: number;
  /** Rows waiting for the index now, across all jobs (null when unknown). */
  waitingForIndex: number | null;
  failures: JobFailure[];
  durationMs: number;
}

/** The stores' endpoints and an open Redis connection for a task. */
export async function connectQueue(
  ctx: TaskContext,
): Promise<{ endpoints: PipelineEndpoints; redis: RedisConnection; keys: QueueKeys }> {
  const { endpointsFromEnvironment } = await import("../lib/ingest/pipeline_endpoints.ts");
  const { openRedis } = await import("../lib/ingest/pipeline_clients.ts");
  const { queueKeys } = await import("../lib/ingest/job_queue.ts");
  const endpoints = endpointsFromEnvironment(ctx.environment);
  try {
    const redis = await openRedis(endpoints);
    return { endpoints, redis, keys: queueKeys(endpoints.queuePrefix) };
  } catch (error) {
    throw new FailedError(
      `cannot reach redis at ${endpoints.redis.host}:${endpoints.redis.port}: ${
        errorMessage(error)
      }`,
      { hint: "./ops up starts the stack; ./ops status shows what runs" },
    );
  }
}

/** A summary of a job that has counted nothing yet. */
export function newIngestSummary(
  job: string,
  label: IngestSummary["label"],
  files: number,
  state: { unsupported: number; waited: boolean; done: boolean },
): IngestSummary {
  return {
    job,
    label,
    files,
    ...state,
    documents: 0,
    skipped: 0,
    failed: 0,
    filesFailed: 0,
    unindexed: 0,
    waitingForIndex: null,
    failures: [],
    durationMs: 0,
  };
}

/** A readable, unique job id: UTC time and a random suffix. */
export function newJobId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "").replace(
    "T",
    "-",
  );
  return `${stamp}-${crypto.randomUUID().slice(0, 6)}`;
}

/** Throws unless the ingestor runs, since a job without a worker never ends. */
export async function assertWorkerRunning(ctx: TaskContext): Promise<void> {
  const info = await ctx.runtime.inspect(ctx.service("ingestor"));
  if (info.state !== "running" && info.state !== "starting") {
    throw new FailedError(
      `the ingestor is ${info.state}: nothing would process the job`,
      {
        hint:
          "./ops up ingestor starts it; or add --no-wait to only enqueue (files wait in the queue)",
      },
    );
  }
}

/**
 * Makes what was just indexed searchable now rather than at the next
 * periodic refresh, and bumps the cache generation so no search cached
 * before the refresh is served again.
 */
export async function refreshIndex(
  endpoints: PipelineEndpoints,
  redis: RedisConnection,
  keys: QueueKeys,
): Promise<void> {
  const { bumpIndexGeneration } = await import("../lib/ingest/job_queue.ts");
  await fetch(`${endpoints.opensearchUrl}/${encodeURIComponent(endpoints.index)}/_refresh`, {
    method: "POST",
    signal: AbortSignal.timeout(10_000),
  }).then((r) => r.body?.cancel()).catch(() => {});
  await bumpIndexGeneration(redis, keys).catch(() => {});
}

/** Documents waiting for the index, from the worker's /health (null when it does not answer). */
export async function waitingForIndex(ctx: TaskContext): Promise<number | null> {
  const ingestor = ctx.service("ingestor");
  try {
    const response = await fetch(`http://${serviceHost(ingestor)}:${ingestor.port}/health`, {
      signal: AbortSignal.timeout(3000),
    });
    const body = await response.json() as { index?: { waiting?: number } | null };
    return typeof body.index?.waiting === "number" ? body.index.waiting : null;
  } catch {
    return null;
  }
}

/**
 * Polls a job until all its files are finished, drawing progress (a bar on
 * a terminal, lines otherwise). Gives up when the ingestor has not been
 * running for 30 s, or after `timeoutSeconds` (0: no limit); the job then
 * goes on in the background.
 * @throws {FailedError} when it gives up or is interrupted.
 */
export async function followJob(
  ctx: TaskContext,
  redis: RedisConnection,
  keys: QueueKeys,
  jobId: string,
  options: { timeoutSeconds?: number } = {},
): Promise<JobProgress> {
  const { readJob } = await import("../lib/ingest/job_status.ts");
  const progress = createProgress(ctx.output, { label: `ingest ${jobId}`, unit: "files" });
  const began = Date.now();
  let workerDownSince: number | null = null;
  let lastCheck = 0;
  const later = `job ${jobId} goes on in the background: ./ops ingestor:status shows it`;
  try {
    for (;;) {
      const job = await readJob(redis, keys, jobId, { failures: false });
      if (!job) throw new FailedError(`job ${jobId} is gone from redis (expired or flushed)`);
      progress.update(job.filesDone, job.filesTotal);
      if (job.done) return (await readJob(redis, keys, jobId))!;
      if (ctx.signal.aborted) throw new FailedError(`stopped following: ${later}`);
      if (options.timeoutSeconds && Date.now() - began > options.timeoutSeconds * 1000) {
        throw new FailedError(
          `job ${jobId} did not finish within ${options.timeoutSeconds} s (${job.filesDone} of ${job.filesTotal} files done): ${later}`,
        );
      }
      if (Date.now() - lastCheck > 2000) {
        lastCheck = Date.now();
        const info = await ctx.runtime.inspect(ctx.service("ingestor"));
        if (info.state === "running" || info.state === "starting") {
          workerDownSince = null;
        } else {
          if (workerDownSince === null) {
            workerDownSince = Date.now();
            ctx.output.warn(
              `the ingestor is ${info.state}; waiting up to 30 s for it to come back`,
            );
          }
          if (Date.now() - workerDownSince > 30_000) {
            throw new FailedError(
              `the ingestor is ${info.state} with job ${jobId} unfinished (${job.filesDone} of ${job.filesTotal} files done); its files stay queued`,
              { hint: "./ops ingestor:start resumes the job; ./ops ingestor:status follows it" },
            );
          }
        }
      }
      await sleep(200);
    }
  } finally {
    progress.done();
  }
}

/**
 * Enqueues `files` as one job and, unless `noWait`, follows it and reports
 * the outcome. Refreshes the search index at the end so what was just
 * ingested is searchable at once.
 * `files` are real paths the input boundary accepted (`ingestor:ingest`
 * checks them; the worker checks each again when it opens it).
 */
export async function runIngestJob(
  ctx: TaskContext,
  request: { files: string[]; unsupported: number; label: string },
  options: { noWait: boolean; timeoutSeconds: number },
): Promise<IngestSummary> {
  const began = performance.now();
  if (!options.noWait) await assertWorkerRunning(ctx);
  const { redis, keys, endpoints } = await connectQueue(ctx);
  const { enqueueJob } = await import("../lib/ingest/job_queue.ts");
  const job = newJobId();
  try {
    await enqueueJob(redis, keys, { id: job, label: request.label, files: request.files });
    ctx.output.info(`job ${job}: ${request.files.length} file(s) enqueued`);
    const summary = newIngestSummary(job, request.label, request.files.length, {
      unsupported: request.unsupported,
      waited: !options.noWait,
      done: false,
    });
    if (options.noWait) {
      summary.durationMs = Math.round(performance.now() - began);
      return summary;
    }
    const progress = await followJob(ctx, redis, keys, job, options);
    await refreshIndex(endpoints, redis, keys);
    return {
      ...summary,
      done: progress.done,
      documents: progress.documents,
      skipped: progress.skipped,
      failed: progress.failed,
      filesFailed: progress.filesFailed,
      unindexed: progress.unindexed,
      waitingForIndex: progress.unindexed > 0 ? await waitingForIndex(ctx) : 0,
      failures: progress.failures,
      durationMs: Math.round(performance.now() - began),
    };
  } finally {
    await redis.close();
  }
}

/** Prints an ingest summary: counts, failures with file:line, and what waits for the index. */
export function renderIngestSummary(s: IngestSummary, output: Output): void {
  if (!s.waited) {
    output.line(`job ${s.job}: ${s.files} file(s) enqueued; follow it with ./ops ingestor:status`);
    return;
  }
  const seconds = s.durationMs / 1000;
  const rate = seconds > 0 ? Math.round((s.documents + s.skipped) / seconds) : 0;
  output.line(
    `job ${s.job}: ${s.files} file(s), ${s.documents} document(s) stored, ${s.skipped} unchanged, ${s.failed} failed in ${
      seconds.toFixed(1)
    } s (${rate} documents/s)`,
  );
  if (s.unsupported > 0) output.line(`${s.unsupported} file(s) of other types were left out`);
  const shown = s.failures.slice(0, 20);
  for (const f of shown) {
    output.line(
      `${output.style("failed", "red")}  ${f.file}${f.line ? `:${f.line}` : ""}: ${f.reason}`,
    );
  }
  if (s.failed > shown.length) output.line(`... and ${s.failed - shown.length} more failure(s)`);
  if (s.unindexed > 0) {
    const now = s.waitingForIndex === null ? "" : ` (${s.waitingForIndex} waiting now)`;
    output.warn(
      `${s.unindexed} document(s) are stored but not yet searchable: OpenSearch was unavailable${now}; the ingestor indexes them when it returns, or run ./ops ingestor:reconcile`,
    );
  }
}
