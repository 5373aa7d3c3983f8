import {
  endpointsFromEnv,
  type PipelineEndpoints,
} from "../../../lib/ingest/pipeline_endpoints.ts";
import { boundaryFromEnv, type InputBoundary } from "../../../lib/ingest/input_roots.ts";

/** How the worker runs, from the environment its service.ts sets. */
export interface WorkerConfig {
  endpoints: PipelineEndpoints;
  /** Port of the /health server. */
  port: number;
  /** Consumer name in the group; stable across restarts so the worker resumes its own pending files first. */
  consumer: string;
  /** Files read from the stream at a time. */
  readBatch: number;
  /** Documents stored in one transaction before they are indexed and acknowledged. */
  batchDocuments: number;
  /** Batches in flight at once (one storing while another is indexed). */
  pipelineDepth: number;
  /** Attempts before a file goes to the dead-letter stream. */
  maxAttempts: number;
  /** Base of the exponential retry backoff. */
  retryBaseMs: number;
  /** Files pending this long with another (dead) consumer are taken over. */
  claimIdleMs: number;
  /** Size of one `_bulk` request. */
  bulkBytes: number;
  /** Largest file read. */
  maxFileBytes: number;
  /** Where the files of a job may be: checked again on every open (a job is not trusted). */
  boundary: InputBoundary;
}

/**
 * Reads the worker configuration from `HAILMARY_*` variables.
 * @throws {Error} naming a missing or invalid variable.
 */
export function workerConfig(get: (name: string) => string | undefined): WorkerConfig {
  const int = (name: string, fallback: number) => {
    const raw = get(name);
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) {
      throw new Error(`${name} must be a whole number, not ${JSON.stringify(raw)}`);
    }
    return value;
  };
  return {
    endpoints: endpointsFromEnv(get),
    port: int("HAILMARY_INGESTOR_PORT", 8090),
    consumer: get("HAILMARY_INGESTOR_CONSUMER") || "worker-1",
    readBatch: Math.max(1, int("HAILMARY_INGESTOR_READ_BATCH", 64)),
    batchDocuments: Math.max(1, int("HAILMARY_INGESTOR_BATCH_DOCUMENTS", 5000)),
    pipelineDepth: Math.max(1, int("HAILMARY_INGESTOR_PIPELINE_DEPTH", 3)),
    maxAttempts: Math.max(1, int("HAILMARY_INGESTOR_MAX_ATTEMPTS", 5)),
    retryBaseMs: int("HAILMARY_INGESTOR_RETRY_BASE_MS", 1000),
    claimIdleMs: Math.max(1000, int("HAILMARY_INGESTOR_CLAIM_IDLE_MS", 60_000)),
    bulkBytes: Math.max(64 * 1024, int("HAILMARY_INGESTOR_BULK_BYTES", 5 * 1024 * 1024)),
    maxFileBytes: Math.max(1, int("HAILMARY_INGESTOR_MAX_FILE_BYTES", 64 * 1024 * 1024)),
    boundary: boundaryFromEnv(get),
  };
}
