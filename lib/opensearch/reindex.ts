import { FailedError } from "../errors.ts";
import { copyDocuments } from "./copy_documents.ts";
import type { OpenSearchClient } from "./opensearch_client.ts";
import type { ReindexOptions, ReindexResult } from "./reindex_types.ts";

export type { ReindexOptions, ReindexProgress, ReindexResult } from "./reindex_types.ts";

interface TaskStatus {
  total?: number;
  created?: number;
  updated?: number;
  deleted?: number;
}

interface TaskAnswer {
  completed: boolean;
  task?: { status?: TaskStatus; running_time_in_nanos?: number };
  response?: TaskStatus & {
    took?: number;
    timed_out?: boolean;
    failures?: { cause?: { type?: string; reason?: string }; id?: string }[];
  };
  error?: { type?: string; reason?: string };
}

/**
 * Copies every document of `source` into `dest` and waits until done; the
 * destination is refreshed at the end. Uses the cluster's `_reindex` run as a
 * server-side task (its progress read from the tasks API) when the reindex
 * module is installed, else a client-side scroll + bulk copy.
 * @throws {FailedError} naming the first failures when any document was not copied.
 */
export async function reindex(
  client: OpenSearchClient,
  source: string,
  dest: string,
  options: ReindexOptions = {},
): Promise<ReindexResult> {
  if (!(await hasReindexModule(client))) return await copyDocuments(client, source, dest, options);
  const started = await client.request<{ task: string }>("POST", "/_reindex", {
    query: { wait_for_completion: false, refresh: true },
    body: { source: { index: source }, dest: { index: dest } },
  });
  const taskPath = `/_tasks/${encodeURIComponent(started.task)}`;
  try {
    while (true) {
      const answer = await client.request<TaskAnswer>("GET", taskPath);
      const status = answer.task?.status ?? {};
      options.onProgress?.({
        done: (status.created ?? 0) + (status.updated ?? 0),
        total: status.total ?? 0,
      });
      if (answer.completed) return finished(answer, source, dest);
      await delay(options.pollMs ?? 500, options.signal);
    }
  } catch (error) {
    if (options.signal?.aborted) {
      await client.detached().request("POST", `${taskPath}/_cancel`).catch(() => {});
    }
    throw error;
  }
}

/** Whether every node of the cluster has the reindex module (the minimal distribution has not). */
export async function hasReindexModule(client: OpenSearchClient): Promise<boolean> {
  const answer = await client.request<{ nodes?: Record<string, { modules?: { name: string }[] }> }>(
    "GET",
    "/_nodes/plugins",
    { query: { filter_path: "nodes.*.modules.name" } },
  );
  const nodes = Object.values(answer.nodes ?? {});
  return nodes.length > 0 &&
    nodes.every((n) => (n.modules ?? []).some((m) => m.name === "reindex"));
}

function finished(answer: TaskAnswer, source: string, dest: string): ReindexResult {
  if (answer.error) {
    throw new FailedError(
      `reindex from ${JSON.stringify(source)} to ${JSON.stringify(dest)} failed: ${
        answer.error.type ?? "error"
      }: ${answer.error.reason ?? "no reason given"}`,
    );
  }
  const response = answer.response ?? {};
  const failures = response.failures ?? [];
  if (failures.length > 0 || response.timed_out) {
    const first = failures.slice(0, 3).map((f) =>
      `${f.id ?? "?"}: ${f.cause?.type ?? "error"}: ${f.cause?.reason ?? "no reason"}`
    );
    throw new FailedError(
      `reindex from ${JSON.stringify(source)} to ${
        JSON.stringify(dest)
      } failed for ${failures.length} document(s)${response.timed_out ? " (timed out)" : ""}: ${
        first.join("; ")
      }`,
      { hint: "the mappings of the new definition probably reject existing documents" },
    );
  }
  return {
    source,
    dest,
    method: "server",
    total: response.total ?? 0,
    created: response.created ?? 0,
    updated: response.updated ?? 0,
    tookMs: response.took ?? 0,
  };
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
