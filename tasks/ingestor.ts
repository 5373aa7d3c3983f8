/**
 * Ingestor tasks: `ingestor:ingest`, `ingestor:ingest-single`,
 * `ingestor:validate`, `ingestor:status`, `ingestor:retry-dead`,
 * `ingestor:reconcile`. The queue contract and the stores' logic live in
 * lib/ingest; the worker is services/ingestor/app.
 * @module
 */
import { errorMessage, FailedError, UsageError } from "../lib/errors.ts";
import type { JobFailure } from "../lib/ingest/job_queue.ts";
import type { DeadLetter, JobProgress, QueueStatus } from "../lib/ingest/job_status.ts";
import type { ReconcileReport } from "../lib/ingest/reconcile.ts";
import { renderTable } from "../lib/output/table.ts";
import { type AnyTask, defineTask } from "../lib/task/define_task.ts";
import type { TaskContext } from "../lib/task/task_context.ts";
import {
  connectQueue,
  type IngestSummary,
  newIngestSummary,
  newJobId,
  renderIngestSummary,
  runIngestJob,
} from "./ingest_job.ts";
import { serviceHost } from "../lib/service/service_context.ts";

/** Working directory the operator typed the paths in (`./ops` changes to the project root). */
function operatorCwd(): string {
  return Deno.env.get("OPS_CWD") ?? Deno.env.get("INIT_CWD") ?? Deno.cwd();
}

/**
 * The real paths of the files `patterns` name, every candidate checked
 * against the ingestor's input boundary (lib/ingest/input_roots.ts).
 * @throws {UsageError} listing every refused candidate (nothing is enqueued then),
 * or when no readable file is named.
 */
async function inputFiles(
  ctx: TaskContext,
  patterns: string[],
): Promise<{ files: string[]; unsupported: number }> {
  const { findInputFiles } = await import("../lib/ingest/find_input_files.ts");
  const { formatsByExtension } = await import("../lib/ingest/document.ts");
  const { ingestInputBoundary } = await import("../lib/ingest/ingest_inbox.ts");
  const { resolveBoundary } = await import("../lib/ingest/input_roots.ts");
  const boundary = resolveBoundary(ingestInputBoundary(ctx.environment));
  const files = new Set<string>();
  const refused: string[] = [];
  let unsupported = 0;
  for (const pattern of patterns) {
    const found = await findInputFiles(pattern, boundary, operatorCwd());
    for (const f of found.files) files.add(f);
    unsupported += found.unsupported.length;
    refused.push(...found.refused);
  }
  if (refused.length) throw await refusedInputs(ctx, boundary.roots, refused);
  if (files.size === 0) {
    throw new UsageError(
      `no readable file in ${patterns.map((p) => JSON.stringify(p)).join(", ")}`,
      `the ingestor reads ${Object.keys(formatsByExtension).join(" ")}`,
    );
  }
  return { files: [...files].sort(), unsupported };
}

/** The error for refused candidates: each with its reason, the roots, and where files go instead. */
async function refusedInputs(
  ctx: TaskContext,
  roots: string[],
  refused: string[],
): Promise<UsageError> {
  const { ingestInbox } = await import("../lib/ingest/ingest_inbox.ts");
  const inbox = ingestInbox(ctx.environment);
  const shown = refused.slice(0, 20).map((r) => `\n  ${r}`).join("") +
    (refused.length > 20 ? `\n  ... and ${refused.length - 20} more` : "");
  if (ctx.environment.runtime !== "native") {
    return new UsageError(
      `refused ${refused.length} path(s) outside the ingestor's inbox ${inbox} (the one folder its container reads); nothing was enqueued:${shown}`,
      `copy the files into ${inbox}, or set services.ingestor.inbox in the environment file to their folder`,
    );
  }
  return new UsageError(
    `refused ${refused.length} path(s): the ingestor reads only regular files inside its input roots (${
      roots.join(", ")
    }) and outside the state, secrets and backup folders; nothing was enqueued:${shown}`,
    `copy the files into the inbox ${inbox} (a link is not enough), or add their folder to services.ingestor.inputRoots in ${ctx.environment.file}`,
  );
}

const waitOptions = {
  "no-wait": {
    type: "boolean",
    description: "only enqueue: do not follow the job to its end",
    default: false,
  },
  timeout: {
    type: "number",
    description: "stop following after this many seconds (0: no limit); the job goes on",
    default: 0,
    min: 0,
    integer: true,
    placeholder: "SECONDS",
  },
} as const;

const ingestExit = (s: IngestSummary) => (s.failed > 0 || s.filesFailed > 0 ? 1 : 0);

/** The result of `ingestor:validate`. */
export interface ValidateReport {
  files: number;
  documents: number;
  /** Files with at least one problem. */
  badFiles: number;
  problems: JobFailure[];
}

/** The result of `ingestor:status`. */
export interface IngestorStatus {
  queue: QueueStatus;
  deadLetters: DeadLetter[];
  jobs: Omit<JobProgress, "failures">[];
  /** The worker's own /health answer, or null when it does not answer. */
  worker: { status: string; index: { waiting: number; refused: number } | null } | null;
}

async function status(ctx: TaskContext): Promise<IngestorStatus> {
  const { queueStatus, listDeadLetters, readJob } = await import("../lib/ingest/job_status.ts");
  const { redis, keys } = await connectQueue(ctx);
  try {
    const queue = await queueStatus(redis, keys);
    const deadLetters = await listDeadLetters(redis, keys, 20);
    const jobs: IngestorStatus["jobs"] = [];
    for (const id of queue.recentJobs.slice(0, 5)) {
      const job = await readJob(redis, keys, id, { failures: false });
      if (job) {
        const { failures: _, ...rest } = job;
        jobs.push(rest);
      }
    }
    let worker: IngestorStatus["worker"] = null;
    const ingestor = ctx.environment.services.find((s) => s.definition.name === "ingestor");
    try {
      if (ingestor?.port === undefined) throw new Error("no ingestor in this environment");
      const response = await fetch(`http://${serviceHost(ingestor)}:${ingestor.port}/health`, {
        signal: AbortSignal.timeout(3000),
      });
      worker = await response.json() as NonNullable<IngestorStatus["worker"]>;
    } catch {
      worker = null;
    }
    return { queue, deadLetters, jobs, worker };
  } finally {
    await redis.close();
  }
}

function renderStatus(s: IngestorStatus, output: import("../lib/output/output.ts").Output): void {
  const q = s.queue;
  output.line(
    `queue: ${q.depth} waiting, ${q.inFlight} in flight, ${q.retrying} retrying, ${q.dead} dead, lag ${q.lagSeconds} s`,
  );
  if (s.worker) {
    const index = s.worker.index;
    output.line(
      `worker: ${s.worker.status}${
        index
          ? `, ${index.waiting} document(s) waiting for the index, ${index.refused} refused`
          : ""
      }`,
    );
  } else {
    output.line("worker: not answering (./ops ingestor:start)");
  }
  for (const c of q.consumers) {
    output.line(`consumer ${c.name}: ${c.pending} in flight, idle ${c.idleSeconds} s`);
  }
  if (s.jobs.length) {
    output.line("");
    output.line(renderTable(
      ["job", "files", "documents", "skipped", "failed", "state"],
      s.jobs.map((j) => [
        j.id,
        `${j.filesDone}/${j.filesTotal}`,
        String(j.documents),
        String(j.skipped),
        String(j.failed),
        j.done ? "done" : "running",
      ]),
    ));
  }
  for (const d of s.deadLetters) {
    output.line(
      `${
        output.style("dead", "red")
      }  ${d.path}: ${d.reason} (job ${d.job}, ${d.attempts} attempt(s))`,
    );
  }
  if (q.dead > s.deadLetters.length) {
    output.line(`... and ${q.dead - s.deadLetters.length} more dead letter(s)`);
  }
  if (q.dead > 0) output.line("fix the files, then ./ops ingestor:retry-dead");
}

function renderReconcile(
  r: ReconcileReport,
  output: import("../lib/output/output.ts").Output,
): void {
  output.line(
    `before: ${r.before.postgres} row(s) in PostgreSQL, ${r.before.index} document(s) in the index, ${r.before.waiting} waiting`,
  );
  output.line(
    `indexed ${r.caughtUp} waiting row(s), repaired ${r.repaired} missing or stale, removed ${r.removed} without a row`,
  );
  for (const f of r.refused.slice(0, 20)) {
    output.line(`${output.style("refused", "red")}  document ${f.id}: ${f.reason}`);
  }
  if (r.unavailable) {
    output.line(`${output.style("unavailable", "red")}  OpenSearch: ${r.unavailable}`);
    return;
  }
  output.line(
    `after: ${r.after.postgres} row(s), ${r.after.index} document(s), ${r.after.waiting} waiting: ${
      r.consistent ? output.style("consistent", "green") : output.style("NOT consistent", "red")
    }`,
  );
}

/** The ingestor's tasks. */
export function ingestorTasks(): AnyTask[] {
  const ingest = defineTask({
    id: "ingestor:ingest",
    summary: "Ingest files (a file, folder or glob): enqueue one job, follow it, print a summary",
    service: "ingestor",
    action: "ingest",
    permissions: "ops",
    args: [{
      name: "path",
      description: "files, folders or quoted globs ('docs/**/*.md')",
      required: true,
      variadic: true,
    }],
    options: waitOptions,
    run: async (ctx, { args, options }) => {
      const { files, unsupported } = await inputFiles(ctx, args);
      return await runIngestJob(ctx, { files, unsupported, label: args.join(" ") }, {
        noWait: options["no-wait"],
        timeoutSeconds: options.timeout,
      });
    },
    render: renderIngestSummary,
    exitCode: ingestExit,
  });
  const ingestSingle = defineTask({
    id: "ingestor:ingest-single",
    summary: "Ingest one file and wait for it",
    service: "ingestor",
    action: "ingest-single",
    permissions: "ops",
    args: [{ name: "file", description: "the file to ingest", required: true }],
    options: waitOptions,
    run: async (ctx, { args, options }) => {
      const { resolve } = await import("../lib/posix_path.ts");
      const { formatOf } = await import("../lib/ingest/document.ts");
      const given = resolve(operatorCwd(), args[0]!);
      const info = await Deno.stat(given).catch(() => undefined);
      if (!info || info.isDirectory) {
        throw new UsageError(
          `${JSON.stringify(args[0])} is not a file`,
          "ingestor:ingest takes folders and globs",
        );
      }
      if (!formatOf(given)) {
        throw new UsageError(
          `the ingestor does not read ${JSON.stringify(args[0])}: unknown file type`,
        );
      }
      // only the real path is enqueued, once the boundary accepts it
      const { files } = await inputFiles(ctx, [given]);
      return await runIngestJob(ctx, { files, unsupported: 0, label: args[0]! }, {
        noWait: options["no-wait"],
        timeoutSeconds: options.timeout,
      });
    },
    render: renderIngestSummary,
    exitCode: ingestExit,
  });
  const validate = defineTask({
    id: "ingestor:validate",
    summary: "Parse files without writing anything; list malformed records with file:line",
    service: "ingestor",
    action: "validate",
    permissions: "observe",
    args: [{
      name: "path",
      description: "files, folders or quoted globs",
      required: true,
      variadic: true,
    }],
    options: {},
    run: async (ctx, { args }): Promise<ValidateReport> => {
      const { files } = await inputFiles(ctx, args);
      const { parseDocumentFile } = await import("../lib/ingest/parse_document_file.ts");
      const { FileParseError } = await import("../lib/ingest/document.ts");
      const report: ValidateReport = {
        files: files.length,
        documents: 0,
        badFiles: 0,
        problems: [],
      };
      for (const file of files) {
        try {
          const parsed = await parseDocumentFile(file);
          report.documents += parsed.documents.length;
          if (parsed.problems.length) report.badFiles++;
          for (const p of parsed.problems) {
            report.problems.push({ file, line: p.line, reason: p.reason });
          }
        } catch (error) {
          report.badFiles++;
          const line = error instanceof FileParseError ? error.line : undefined;
          report.problems.push({
            file,
            ...(line === undefined ? {} : { line }),
            reason: errorMessage(error),
          });
        }
      }
      return report;
    },
    render: (r, output) => {
      for (const p of r.problems) {
        output.line(`${p.file}${p.line ? `:${p.line}` : ""}: ${p.reason}`);
      }
      output.line(
        `${r.files} file(s), ${r.documents} document(s), ${r.problems.length} problem(s) in ${r.badFiles} file(s)`,
      );
    },
    exitCode: (r) => (r.problems.length > 0 ? 1 : 0),
  });
  const statusTask = defineTask({
    id: "ingestor:status",
    summary: "Show the ingestion queue: depth, in flight, retries, dead letters, lag, recent jobs",
    service: "ingestor",
    action: "status",
    permissions: "observe",
    options: {},
    run: status,
    render: renderStatus,
  });
  const retryDead = defineTask({
    id: "ingestor:retry-dead",
    summary: "Put the dead-letter files back in the queue as a new job and follow it",
    service: "ingestor",
    action: "retry-dead",
    permissions: "ops",
    options: waitOptions,
    run: async (ctx, { options }): Promise<IngestSummary> => {
      const { requeueDeadLetters } = await import("../lib/ingest/job_queue.ts");
      const { followJob, assertWorkerRunning, refreshIndex } = await import("./ingest_job.ts");
      if (!options["no-wait"]) await assertWorkerRunning(ctx);
      const { redis, keys, endpoints } = await connectQueue(ctx);
      const began = performance.now();
      try {
        const job = newJobId();
        const files = await requeueDeadLetters(redis, keys, job);
        const summary = newIngestSummary(job, "dead letters", files, {
          unsupported: 0,
          waited: !options["no-wait"] && files > 0,
          done: files === 0,
        });
        if (files === 0) {
          ctx.output.info("no dead letters: nothing to retry");
          return summary;
        }
        ctx.output.info(`job ${job}: ${files} dead-letter file(s) back in the queue`);
        if (!summary.waited) return summary;
        const p = await followJob(ctx, redis, keys, job, { timeoutSeconds: options.timeout });
        await refreshIndex(endpoints, redis, keys);
        return {
          ...summary,
          done: p.done,
          documents: p.documents,
          skipped: p.skipped,
          failed: p.failed,
          filesFailed: p.filesFailed,
          unindexed: p.unindexed,
          failures: p.failures,
          durationMs: Math.round(performance.now() - began),
        };
      } finally {
        await redis.close();
      }
    },
    render: (s, output) => {
      if (s.files === 0) output.line("no dead letters");
      else renderIngestSummary(s, output);
    },
    exitCode: ingestExit,
  });
  const reconcile = defineTask({
    id: "ingestor:reconcile",
    summary:
      "Make the search index match PostgreSQL: index what waits or is missing, remove orphans",
    service: "ingestor",
    action: "reconcile",
    permissions: "ops",
    options: {},
    run: async (ctx): Promise<ReconcileReport> => {
      const { endpointsFromEnvironment } = await import("../lib/ingest/pipeline_endpoints.ts");
      const { openPostgres, openSearch } = await import("../lib/ingest/pipeline_clients.ts");
      const { reconcileStores } = await import("../lib/ingest/reconcile.ts");
      const endpoints = endpointsFromEnvironment(ctx.environment);
      const sql = await openPostgres(endpoints, { max: 2 });
      try {
        return await reconcileStores(
          sql,
          openSearch(endpoints, { signal: ctx.signal }),
          endpoints.index,
          {
            signal: ctx.signal,
          },
        );
      } catch (error) {
        if (error instanceof FailedError) throw error;
        throw new FailedError(`reconcile failed: ${errorMessage(error)}`, {
          hint: "is the stack up? ./ops status",
        });
      } finally {
        await sql.end({ timeout: 5 });
      }
    },
    render: renderReconcile,
    exitCode: (r) => (r.consistent ? 0 : 1),
  });
  return [ingest, ingestSingle, validate, statusTask, retryDead, reconcile];
}
