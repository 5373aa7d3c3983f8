/**
 * OpenSearch backup and restore as plain functions: `backupOpenSearch(ctx,
 * options)` and `restoreOpenSearch(ctx, id, options)` are what
 * `opensearch:backup` / `opensearch:restore` run, and what the stack backup
 * set (tasks/backup_set.ts) calls.
 * @module
 */
import { dirname, join } from "../lib/posix_path.ts";
import { type BackupManifest, readBackup, withBackupLock, writeBackup } from "../lib/backup/mod.ts";
import type { ConfiguredService } from "../lib/config/mod.ts";
import { FailedError, UsageError } from "../lib/errors.ts";
import {
  countDocuments,
  createSnapshot,
  findTempRepositories,
  type OpenSearchClient,
  openSearchClientFor,
  registerFsRepository,
  restoreSnapshot,
  snapshotInfo,
  tempRepositoryName,
  unregisterRepository,
} from "../lib/opensearch/mod.ts";
import { type FoundLeftover, removeStale } from "../lib/leftovers/mod.ts";
import { copyFilesForService, filesUnder } from "../lib/opensearch/mod.ts";
import { createProgress } from "../lib/output/progress.ts";
import { assertBackupIntact } from "./assert_backup_intact.ts";
import { serviceUser } from "../lib/runtime/service_user.ts";
import type { TaskContext } from "../lib/task/task_context.ts";
import { opensearchPaths } from "../lib/opensearch/opensearch_paths.ts";
import { aliasActions, indexStates, selectIndices } from "./opensearch_indices.ts";

/** One index in an OpenSearch backup. */
export interface BackedUpIndex {
  name: string;
  /** Documents (top-level, as `_count` reports them) when the snapshot started. */
  documents: number;
  aliases: string[];
}

/** Options of {@link backupOpenSearch}. */
export interface OpenSearchBackupOptions {
  label?: string | undefined;
  /** Indices to include (default: every open index whose name does not start with '.'). */
  indices?: string[] | undefined;
}

/** The result of `opensearch:backup`. */
export interface OpenSearchBackupResult {
  service: "opensearch";
  id: string;
  path: string;
  label: string | null;
  bytes: number;
  /** The snapshot name, or null when there was no index to back up. */
  snapshot: string | null;
  indices: BackedUpIndex[];
  durationMs: number;
}

/** What an OpenSearch manifest records in `details`. */
interface OpenSearchBackupDetails {
  snapshot: string | null;
  snapshotUuid: string | null;
  /** The folder of the backup holding the repository files. */
  folder: string;
  indices: BackedUpIndex[];
}

/**
 * Takes an OpenSearch backup as a snapshot. Each backup gets its own `fs`
 * repository, registered automatically at
 * `<stateDir>/opensearch/snapshots/ops-tmp-backup-<owner>-<n>` (inside
 * `path.repo`; those of runs that died are removed first), so the repository
 * holds exactly this snapshot's files and nothing shared with other snapshots. Those files are copied through
 * SHA-256 into the catalog under `snapshot/`, then the repository is
 * unregistered and its folder removed. The catalog checksums therefore cover
 * every byte a restore reads, and `verify` is meaningful; the price is a full
 * (not incremental) snapshot per backup. Progress comes from the snapshot
 * status API. Holds the opensearch backup lock.
 * @throws {UsageError} for an unknown index; {FailedError} when the snapshot fails.
 */
export async function backupOpenSearch(
  ctx: TaskContext,
  options: OpenSearchBackupOptions = {},
): Promise<OpenSearchBackupResult> {
  const service = ctx.service("opensearch");
  return await withBackupLock(
    ctx.environment.backupDir,
    "opensearch",
    "opensearch:backup",
    () => backupUnlocked(ctx, service, options),
  );
}

async function backupUnlocked(
  ctx: TaskContext,
  service: ConfiguredService,
  options: OpenSearchBackupOptions,
): Promise<OpenSearchBackupResult> {
  const began = performance.now();
  const client = openSearchClientFor(service, { signal: ctx.signal });
  const root = await client.request<{ version?: { number?: string } }>("GET", "/");
  await removeLeftRepositories(ctx, client);
  const names = await selectIndices(client, options.indices);
  const indices: BackedUpIndex[] = [];
  if (names.length > 0) {
    await client.request("POST", `/${names.map(encodeURIComponent).join(",")}/_refresh`);
    const states = await indexStates(client, names);
    for (const name of names) {
      indices.push({
        name,
        documents: await countDocuments(client, name),
        aliases: states.get(name)?.aliases ?? [],
      });
    }
  }
  const snapshotsDir = opensearchPaths(service.stateDir).snapshots;
  const progress = createProgress(ctx.output, { label: "opensearch snapshot" });
  let entry;
  try {
    entry = await writeBackup({
      backupDir: ctx.environment.backupDir,
      service: "opensearch",
      environment: ctx.environment.name,
      label: options.label,
      options: { indices: options.indices ?? "all" },
    }, async (writer) => {
      const details: OpenSearchBackupDetails = {
        snapshot: null,
        snapshotUuid: null,
        folder: "snapshot",
        indices,
      };
      const serverVersion = root.version?.number ?? null;
      if (names.length === 0) return { details: { ...details }, serverVersion };
      const repository = await tempRepositoryName("backup");
      const location = join(snapshotsDir, repository);
      const snapshot = `hailmary-${writer.id.toLowerCase()}`; // names must be lower case
      try {
        await registerFsRepository(client, repository, location);
        const info = await createSnapshot(client, repository, snapshot, names, {
          signal: ctx.signal,
          onProgress: (p) => progress.update(p.doneBytes, p.totalBytes || undefined),
        });
        for (const file of await filesUnder(location)) {
          const rel = `${details.folder}/${file}`;
          await Deno.mkdir(dirname(join(writer.dir, rel)), { recursive: true, mode: 0o750 });
          await writer.copyFile(join(location, file), rel);
        }
        details.snapshot = snapshot;
        details.snapshotUuid = info.uuid;
      } finally {
        await unregisterRepository(client.detached(), repository).catch(() => {});
        await Deno.remove(location, { recursive: true }).catch(() => {});
      }
      return { details: { ...details }, serverVersion };
    });
  } finally {
    progress.done();
  }
  return {
    service: "opensearch",
    id: entry.manifest.id,
    path: entry.path,
    label: entry.manifest.label,
    bytes: entry.manifest.totalBytes,
    snapshot: (entry.manifest.details as unknown as OpenSearchBackupDetails).snapshot,
    indices,
    durationMs: Math.round(performance.now() - began),
  };
}

/** Options of {@link restoreOpenSearch}. */
export interface OpenSearchRestoreOptions {
  /** Restore beside the live indices as `restored-<name>`, touching nothing live. */
  rename?: boolean;
  /** Snapshot the indices about to be replaced first (default true; not with `rename`). */
  safetyBackup?: boolean;
  /** Ask with ctx.confirm after verification (default true; a backup set confirms once for all). */
  confirm?: boolean;
}

/** One restored index. */
export interface RestoredIndex {
  /** The index as restored (`restored-events-v1` with rename). */
  name: string;
  /** The index in the backup. */
  from: string;
  documents: number;
  expected: number;
}

/** The result of `opensearch:restore`. */
export interface OpenSearchRestoreResult {
  service: "opensearch";
  id: string;
  renamed: boolean;
  indices: RestoredIndex[];
  /** Aliases pointed at the restored indices (none with rename). */
  aliases: Record<string, string[]>;
  safetyBackupId: string | null;
  durationMs: number;
}

/**
 * Restores an OpenSearch backup. Every checksum is verified first (a damaged
 * backup changes nothing). The snapshot files are copied into a scratch
 * repository inside `path.repo`, registered read-only. Without `rename` the
 * live indices of the same names are closed and replaced (reopened if the
 * restore fails) and their aliases moved back in one atomic call, after a
 * safety backup; with `rename` they are restored beside them as
 * `restored-<name>`. The document counts are checked against the manifest.
 * @throws {UsageError} for an unknown id or an existing `restored-` index; {FailedError} for a damaged backup or a failed check.
 */
export async function restoreOpenSearch(
  ctx: TaskContext,
  id: string,
  options: OpenSearchRestoreOptions = {},
): Promise<OpenSearchRestoreResult> {
  const service = ctx.service("opensearch");
  const began = performance.now();
  const backup = await readBackup(ctx.environment.backupDir, "opensearch", id);
  await assertBackupIntact(ctx, backup);
  const details = openSearchDetails(backup.manifest);
  const rename = options.rename ?? false;
  const prefix = rename ? "restored-" : "";
  const client = openSearchClientFor(service, { signal: ctx.signal });
  const sources = details.indices.map((i) => i.name);
  const targets = sources.map((name) => prefix + name);
  const live = await indexStates(client, targets);
  if (rename && live.size > 0) {
    const taken = [...live.keys()];
    throw new UsageError(
      `${taken.map((t) => JSON.stringify(t)).join(", ")} already exist(s)`,
      `delete them first: ./ops opensearch:delete-index ${taken[0]}`,
    );
  }
  if (!rename && (options.confirm ?? true)) {
    await ctx.confirm(
      `replace the OpenSearch indices ${sources.join(", ")} with backup ${backup.manifest.id}`,
    );
  }
  const done = (
    indices: RestoredIndex[],
    aliases: Record<string, string[]>,
    safety: string | null,
  ) => ({
    service: "opensearch" as const,
    id: backup.manifest.id,
    renamed: rename,
    indices,
    aliases,
    safetyBackupId: safety,
    durationMs: Math.round(performance.now() - began),
  });
  if (details.snapshot === null) return done([], {}, null);
  const snapshot = details.snapshot;

  return await withBackupLock(
    ctx.environment.backupDir,
    "opensearch",
    "opensearch:restore",
    async () => {
      let safetyBackupId: string | null = null;
      if (!rename && live.size > 0 && (options.safetyBackup ?? true)) {
        ctx.output.info("taking a safety backup of the indices about to be replaced...");
        const safety = await backupUnlocked(ctx, service, {
          label: `before restore of ${backup.manifest.id}`,
          indices: [...live.keys()].filter((name) => live.get(name)?.open),
        });
        safetyBackupId = safety.id;
      }
      await removeLeftRepositories(ctx, client);
      const repository = await tempRepositoryName("restore");
      const scratch = join(opensearchPaths(service.stateDir).snapshots, repository);
      const cleanup = client.detached();
      try {
        await Deno.remove(scratch, { recursive: true }).catch(() => {});
        const prefixed = backup.manifest.files.map((f) => f.path).filter((p) =>
          p.startsWith(`${details.folder}/`)
        );
        await copyFilesForService(
          join(backup.path, details.folder),
          prefixed.map((p) => p.slice(details.folder.length + 1)),
          scratch,
          await serviceUser(ctx.environment.serviceUser),
        );
        await registerFsRepository(client, repository, scratch, { readonly: true });
        const info = await snapshotInfo(client, repository, snapshot);
        if (info.state !== "SUCCESS") {
          throw new FailedError(
            `snapshot ${snapshot} in backup ${backup.manifest.id} is ${info.state}`,
          );
        }
        const closed: string[] = [];
        try {
          for (const [name, state] of live) {
            if (!state.open) continue;
            await client.request("POST", `/${encodeURIComponent(name)}/_close`);
            closed.push(name);
          }
          ctx.output.info(`restoring ${targets.join(", ")}...`);
          await restoreSnapshot(
            client,
            repository,
            snapshot,
            sources,
            rename ? { renamePrefix: prefix } : {},
          );
        } catch (error) {
          for (const name of closed) {
            await cleanup.request("POST", `/${encodeURIComponent(name)}/_open`).catch(() => {});
          }
          throw error;
        }
        await waitForIndices(client, targets);
        const aliases: Record<string, string[]> = {};
        if (!rename) {
          for (const index of details.indices) {
            for (const alias of index.aliases) (aliases[alias] ??= []).push(index.name);
          }
          const actions = await aliasActions(client, aliases);
          if (actions.length > 0) await client.request("POST", "/_aliases", { body: { actions } });
        }
        await client.request("POST", `/${targets.map(encodeURIComponent).join(",")}/_refresh`);
        const indices: RestoredIndex[] = [];
        for (const index of details.indices) {
          const name = prefix + index.name;
          indices.push({
            name,
            from: index.name,
            documents: await countDocuments(client, name),
            expected: index.documents,
          });
        }
        const wrong = indices.filter((i) => i.documents !== i.expected);
        if (wrong.length > 0) {
          throw new FailedError(
            `the restored indices do not match backup ${backup.manifest.id}: ${
              wrong.map((i) => `${i.name} has ${i.documents} documents, expected ${i.expected}`)
                .join("; ")
            }`,
          );
        }
        return done(indices, aliases, safetyBackupId);
      } finally {
        await unregisterRepository(cleanup, repository).catch(() => {});
        await Deno.remove(scratch, { recursive: true }).catch(() => {});
      }
    },
  );
}

/**
 * The temp snapshot repositories (registered or as folders) of backups and
 * restores, each marked stale when its run is gone.
 * @throws {FailedError} when OpenSearch cannot be reached.
 */
export async function findOpenSearchLeftovers(
  ctx: TaskContext,
  client: OpenSearchClient = openSearchClientFor(ctx.service("opensearch"), {
    signal: ctx.signal,
  }),
): Promise<FoundLeftover[]> {
  const snapshotsDir = opensearchPaths(ctx.service("opensearch").stateDir).snapshots;
  return await findTempRepositories(client, snapshotsDir);
}

async function removeLeftRepositories(ctx: TaskContext, client: OpenSearchClient): Promise<void> {
  const removed = await removeStale(await findOpenSearchLeftovers(ctx, client));
  if (removed.length > 0) {
    ctx.output.info(
      `removed snapshot repositories of interrupted backups and restores: ${removed.join(", ")}`,
    );
  }
}

/** Waits until the primaries of the restored indices are assigned (yellow or green). */
async function waitForIndices(client: OpenSearchClient, names: readonly string[]): Promise<void> {
  const health = await client.request<{ status: string; timed_out: boolean }>(
    "GET",
    `/_cluster/health/${names.map(encodeURIComponent).join(",")}`,
    { query: { wait_for_status: "yellow", timeout: "120s" }, timeoutMs: 130_000 },
  );
  if (health.timed_out) {
    throw new FailedError(
      `the restored indices did not become available within 120 s (cluster ${health.status})`,
      { hint: "read ./ops opensearch:logs" },
    );
  }
}

function openSearchDetails(manifest: BackupManifest): OpenSearchBackupDetails {
  const d = manifest.details as Partial<OpenSearchBackupDetails>;
  if (!Array.isArray(d.indices) || (d.snapshot !== null && typeof d.snapshot !== "string")) {
    throw new FailedError(`backup ${manifest.id} has no opensearch details in its manifest`);
  }
  return {
    snapshot: d.snapshot ?? null,
    snapshotUuid: d.snapshotUuid ?? null,
    folder: d.folder ?? "snapshot",
    indices: d.indices,
  };
}
