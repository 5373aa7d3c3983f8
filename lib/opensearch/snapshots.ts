import { FailedError } from "../errors.ts";
import { sleep } from "../runtime/proc.ts";
import type { OpenSearchClient } from "./opensearch_client.ts";

/** Bytes of shard files written so far out of the total of the snapshot. */
export interface SnapshotProgress {
  doneBytes: number;
  totalBytes: number;
  doneFiles: number;
  totalFiles: number;
}

/** A finished snapshot as `GET /_snapshot/REPO/SNAP` describes it. */
export interface SnapshotInfo {
  snapshot: string;
  uuid: string;
  state: string;
  indices: string[];
  version: string;
  shards: { total: number; failed: number; successful: number };
}

interface StatusStats {
  file_count?: number;
  size_in_bytes?: number;
}

interface SnapshotStatus {
  snapshots: {
    state: string;
    stats?: { total?: StatusStats; processed?: StatusStats; incremental?: StatusStats };
  }[];
}

const path = (repository: string, snapshot?: string) =>
  `/_snapshot/${encodeURIComponent(repository)}${
    snapshot === undefined ? "" : `/${encodeURIComponent(snapshot)}`
  }`;

/**
 * Registers (or re-registers) a shared-file-system repository. The location
 * must be inside the node's `path.repo`. `readonly` skips the write check, for
 * a repository that is only restored from.
 */
export async function registerFsRepository(
  client: OpenSearchClient,
  repository: string,
  location: string,
  options: { readonly?: boolean } = {},
): Promise<void> {
  await client.request("PUT", path(repository), {
    body: { type: "fs", settings: { location, readonly: options.readonly ?? false } },
  });
}

/** Unregisters a repository (the files stay); a missing one is fine. */
export async function unregisterRepository(
  client: OpenSearchClient,
  repository: string,
): Promise<void> {
  await client.request("DELETE", path(repository), { accept: [404] });
}

/**
 * Snapshots the given indices (no global state) and waits until it is done,
 * reporting progress from the snapshot status API. A snapshot interrupted by
 * the signal or an error is deleted (which aborts it) before this throws.
 * @throws {FailedError} when the snapshot ends in any state but SUCCESS.
 */
export async function createSnapshot(
  client: OpenSearchClient,
  repository: string,
  snapshot: string,
  indices: readonly string[],
  options: { onProgress?: (progress: SnapshotProgress) => void; signal?: AbortSignal } = {},
): Promise<SnapshotInfo> {
  await client.request("PUT", path(repository, snapshot), {
    query: { wait_for_completion: false },
    body: { indices: indices.join(","), include_global_state: false, ignore_unavailable: false },
  });
  let info: SnapshotInfo;
  try {
    while (true) {
      if (options.signal?.aborted) throw options.signal.reason;
      const status = await client.request<SnapshotStatus>(
        "GET",
        `${path(repository, snapshot)}/_status`,
      );
      const stats = status.snapshots[0]?.stats;
      options.onProgress?.({
        doneBytes: stats?.processed?.size_in_bytes ?? 0,
        totalBytes: stats?.total?.size_in_bytes ?? 0,
        doneFiles: stats?.processed?.file_count ?? 0,
        totalFiles: stats?.total?.file_count ?? 0,
      });
      // the snapshot's own state is final only once it is written to the repository
      info = await snapshotInfo(client, repository, snapshot);
      if (info.state !== "IN_PROGRESS") break;
      await sleep(250);
    }
  } catch (error) {
    await deleteSnapshot(client.detached(), repository, snapshot).catch(() => {});
    throw error;
  }
  if (info.state !== "SUCCESS" || info.shards.failed > 0) {
    throw new FailedError(
      `snapshot ${
        JSON.stringify(snapshot)
      } ended ${info.state} (${info.shards.failed} of ${info.shards.total} shards failed)`,
      { hint: "read ./ops opensearch:logs" },
    );
  }
  return info;
}

/** Deletes a snapshot (aborting it when it still runs); a missing one is fine. */
export async function deleteSnapshot(
  client: OpenSearchClient,
  repository: string,
  snapshot: string,
): Promise<void> {
  await client.request("DELETE", path(repository, snapshot), {
    accept: [404],
    timeoutMs: 120_000,
  });
}

/** Describes one snapshot of a repository. */
export async function snapshotInfo(
  client: OpenSearchClient,
  repository: string,
  snapshot: string,
): Promise<SnapshotInfo> {
  const answer = await client.request<{ snapshots: SnapshotInfo[] }>(
    "GET",
    path(repository, snapshot),
  );
  const info = answer.snapshots[0];
  if (!info) throw new FailedError(`snapshot ${JSON.stringify(snapshot)} was not found`);
  return info;
}

/** Options of {@link restoreSnapshot}. */
export interface RestoreSnapshotOptions {
  /** Restores `x` as `prefix + x` (beside the live index). */
  renamePrefix?: string;
  /** How long the restore may take (default 1 h). */
  timeoutMs?: number;
}

/**
 * Restores indices of a snapshot and waits until their primaries are
 * recovered. Aliases are not restored: the caller sets them in one atomic call.
 * @throws {FailedError} when a shard failed to restore.
 */
export async function restoreSnapshot(
  client: OpenSearchClient,
  repository: string,
  snapshot: string,
  indices: readonly string[],
  options: RestoreSnapshotOptions = {},
): Promise<void> {
  const rename = options.renamePrefix === undefined
    ? {}
    : { rename_pattern: "(.+)", rename_replacement: `${options.renamePrefix}$1` };
  const answer = await client.request<{
    snapshot?: { shards?: { total: number; failed: number } };
  }>("POST", `${path(repository, snapshot)}/_restore`, {
    query: { wait_for_completion: true },
    timeoutMs: options.timeoutMs ?? 3_600_000,
    body: {
      indices: indices.join(","),
      include_global_state: false,
      include_aliases: false,
      ...rename,
    },
  });
  const shards = answer.snapshot?.shards;
  if (shards && shards.failed > 0) {
    throw new FailedError(
      `restore of snapshot ${
        JSON.stringify(snapshot)
      }: ${shards.failed} of ${shards.total} shards failed`,
      { hint: "read ./ops opensearch:logs" },
    );
  }
}
