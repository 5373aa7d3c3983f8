import { join, normalize } from "../../lib/posix_path.ts";
import { z } from "zod";
import { defineService } from "../../lib/service/define_service.ts";
import { endpointsFromPeers, endpointsToEnv } from "../../lib/ingest/pipeline_endpoints.ts";
import { appEnvironment, denoRunCommand } from "../../lib/service/deno_app_command.ts";
import { createInbox, inboxOf, inputBoundaryOf } from "../../lib/ingest/ingest_inbox.ts";
import { boundaryToEnv, realFolderSync, resolveBoundary } from "../../lib/ingest/input_roots.ts";

/** An absolute folder other than `/`, which would open every file of the machine to the index. */
const inputFolder = z.string().startsWith("/", "an absolute folder").refine(
  (path) => normalize(path) !== "/",
  "'/' would let the ingestor read, store and serve every file of this machine: name the folders that hold documents (the inbox <stateDir>/ingestor/inbox is always read)",
);

const settings = z.object({
  /** Port of the worker's /health endpoint. */
  port: z.number().int().min(1).max(65535).default(8090),
  /** Consumer name in the Redis group: keep it stable so a restarted worker resumes its own files. */
  consumer: z.string().regex(/^[A-Za-z0-9_.-]+$/).default("worker-1"),
  /** Prefix of the queue's Redis keys. */
  queuePrefix: z.string().regex(/^[a-z][a-z0-9_-]*$/).default("ingest"),
  /** The OpenSearch alias documents go to (built from services/opensearch/indices/documents.json). */
  index: z.string().regex(/^[a-z][a-z0-9_-]*$/).default("documents"),
  readBatch: z.number().int().min(1).max(1000).default(64),
  batchDocuments: z.number().int().min(1).max(100_000).default(5000),
  pipelineDepth: z.number().int().min(1).max(8).default(3),
  maxAttempts: z.number().int().min(1).max(100).default(5),
  retryBaseMs: z.number().int().min(0).max(600_000).default(1000),
  claimIdleSeconds: z.number().int().min(1).max(86_400).default(60),
  bulkMegabytes: z.number().min(0.1).max(100).default(5),
  maxFileMegabytes: z.number().min(0.001).max(2048).default(64),
  /**
   * Native runtime: folders the worker may read files from besides the inbox (its
   * --allow-read). Files are checked by their real path: a link out of them is refused.
   * Refused under compose and swarm (see `unsupported`).
   */
  inputRoots: z.array(inputFolder).default([]),
  /**
   * The folder files are dropped into to be ingested (default `<stateDir>/ingestor/inbox`),
   * created at start. Compose runtime: mounted read-only (same path) into the worker's
   * container, the only folder it reads.
   */
  inbox: inputFolder.optional(),
}).strict();

/** Ingestor settings in an environment file. */
export type IngestorSettings = z.infer<typeof settings>;

export default defineService({
  name: "ingestor",
  description: "Ingestor: reads files from the Redis job queue into PostgreSQL and OpenSearch",
  dependsOn: { postgres: "healthy", redis: "healthy", opensearch: "healthy" },
  settings,
  port: (s) => s.port,
  capabilities: ["ingest", "ingest-single", "validate", "status", "retry-dead", "reconcile"],
  probe: (ctx) => ({ kind: "http", url: `http://${ctx.host}:${ctx.settings.port}/health` }),
  // a container reads only its inbox (mounted): more folders would be ignored there
  unsupported: (settings, runtime) =>
    runtime !== "native" && settings.inputRoots.length > 0
      ? {
        inputRoots: `applies to the native runtime only: under ${runtime} the ingestor's ` +
          "container reads only its inbox; remove inputRoots and set services.ingestor.inbox " +
          "to the folder the files are in (mounted read-only), or copy them into the inbox",
      }
      : {},
  // the inbox mounted read-only at its own path: the CLI enqueues files by their real path,
  // which must be the container's too
  composeVariables: (ctx) => ({
    HAILMARY_INGESTOR_INBOX: realFolderSync(inboxOf(ctx.settings, ctx.environmentFolders.stateDir)),
  }),
  native: (ctx) => {
    const s = ctx.settings;
    const endpoints = endpointsFromPeers(ctx.peers, { queuePrefix: s.queuePrefix, index: s.index });
    const inbox = inboxOf(s, ctx.environmentFolders.stateDir);
    // real paths: jobs name real paths, and the worker compares them with these
    const boundary = resolveBoundary(inputBoundaryOf(s, ctx.environmentFolders, "native"));
    return {
      command: denoRunCommand({
        projectRoot: ctx.projectRoot,
        entry: join(ctx.serviceDir, "app", "main.ts"),
        endpoints,
        listenPort: s.port,
        readPaths: boundary.roots,
      }),
      env: {
        ...appEnvironment(ctx.stateDir),
        ...endpointsToEnv(endpoints),
        ...boundaryToEnv(boundary),
        HAILMARY_INGESTOR_PORT: String(s.port),
        HAILMARY_INGESTOR_CONSUMER: s.consumer,
        HAILMARY_INGESTOR_READ_BATCH: String(s.readBatch),
        HAILMARY_INGESTOR_BATCH_DOCUMENTS: String(s.batchDocuments),
        HAILMARY_INGESTOR_PIPELINE_DEPTH: String(s.pipelineDepth),
        HAILMARY_INGESTOR_MAX_ATTEMPTS: String(s.maxAttempts),
        HAILMARY_INGESTOR_RETRY_BASE_MS: String(s.retryBaseMs),
        HAILMARY_INGESTOR_CLAIM_IDLE_MS: String(s.claimIdleSeconds * 1000),
        HAILMARY_INGESTOR_BULK_BYTES: String(Math.round(s.bulkMegabytes * 1024 * 1024)),
        HAILMARY_INGESTOR_MAX_FILE_BYTES: String(Math.round(s.maxFileMegabytes * 1024 * 1024)),
      },
      cwd: ctx.projectRoot,
      stopSignal: "SIGTERM", // finishes the batches in hand; unacknowledged files are read again later
      stopTimeoutMs: 30_000,
      readyTimeoutMs: 60_000,
      // the schema and the index must exist before the first file is read
      prepare: async () => {
        await createInbox(inbox); // where a new user drops files: it exists from the first start
        const { prepareIngestStores } = await import("../../lib/ingest/prepare_stores.ts");
        await prepareIngestStores(endpoints);
      },
    };
  },
});
