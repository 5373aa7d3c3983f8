/**
 * What a copy of one index into another takes and returns, whichever way it
 * runs: the cluster's `_reindex` task (`reindex`) or scroll and bulk
 * from the client (`copyDocuments`).
 * @module
 */

/** Documents copied so far out of the total (the total is known once the first batch ran). */
export interface ReindexProgress {
  done: number;
  total: number;
}

/** The outcome of a finished reindex. */
export interface ReindexResult {
  source: string;
  dest: string;
  /** `server`: the cluster's `_reindex` task; `scroll`: scroll + bulk from the client (no reindex module). */
  method: "server" | "scroll";
  /** Documents in the source when the copy started. */
  total: number;
  created: number;
  updated: number;
  tookMs: number;
}

/** Options of `reindex`. */
export interface ReindexOptions {
  onProgress?: (progress: ReindexProgress) => void;
  /** Cancels the wait; the server-side task is cancelled too. */
  signal?: AbortSignal;
  /** How often the task status is read (default 500 ms). */
  pollMs?: number;
}
