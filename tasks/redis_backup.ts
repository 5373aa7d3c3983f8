/**
 * Redis backup and restore as plain functions: `backupRedis(ctx, options)` and
 * `restoreRedis(ctx, id, options)` are what `redis:backup` / `redis:restore`
 * run, and what the stack backup set (tasks/backup_set.ts) calls.
 * @module
 */
import { join } from "../lib/posix_path.ts";
import { type BackupManifest, readBackup, withBackupLock, writeBackup } from "../lib/backup/mod.ts";
import type { ConfiguredService } from "../lib/config/mod.ts";
import { errorMessage, FailedError } from "../lib/errors.ts";
import { createProgress } from "../lib/output/progress.ts";
import { assertBackupIntact } from "./assert_backup_intact.ts";
import {
  backgroundSave,
  connectRedis,
  enableAppendOnly,
  findRedisTempFiles,
  hasForkedChild,
  type Keyspace,
  parseInfo,
  parseKeyspace,
  persistenceInfo,
  type RedisConnection,
  type RedisFiles,
  redisFiles,
  redisStep,
  swapInRdb,
} from "../lib/redis/mod.ts";
import { type FoundLeftover, removeStale } from "../lib/leftovers/mod.ts";
import type { TaskContext } from "../lib/task/task_context.ts";
import { redisPaths } from "../lib/redis/redis_paths.ts";
import { compareKeyspace, type KeyspaceCheck } from "./redis_keyspace_check.ts";

/** Options of {@link backupRedis}. */
export interface RedisBackupOptions {
  /** Free text recorded in the manifest (`before-upgrade`). */
  label?: string | undefined;
}

/** The result of `redis:backup`. */
export interface RedisBackupResult {
  service: "redis";
  id: string;
  path: string;
  label: string | null;
  bytes: number;
  /** Keys per database in the saved dataset. */
  keyspace: Keyspace;
  /** False when keys were added or removed while the save ran (the counts are then a range). */
  keyspaceExact: boolean;
  durationMs: number;
}

/** What a Redis manifest records in `details`. */
interface RedisBackupDetails {
  file: string;
  keyspace: Keyspace;
  keyspaceAtStart: Keyspace;
  keyspaceExact: boolean;
  keysAtFork: number | null;
  appendonly: boolean;
}

/**
 * Takes a Redis backup: BGSAVE, wait until that save finished with status ok,
 * then copy the RDB through SHA-256 into the catalog (`dump.rdb`), recording
 * the key counts per database from `INFO keyspace`. Holds the redis backup lock.
 * @throws {BusyError} when another backup or restore of redis runs.
 * @throws {FailedError} when redis is unreachable or the save fails.
 */
export async function backupRedis(
  ctx: TaskContext,
  options: RedisBackupOptions = {},
): Promise<RedisBackupResult> {
  const service = ctx.service("redis");
  return await withBackupLock(
    ctx.environment.backupDir,
    "redis",
    "redis:backup",
    () => backupUnlocked(ctx, service, options),
  );
}

async function backupUnlocked(
  ctx: TaskContext,
  service: ConfiguredService,
  options: RedisBackupOptions,
): Promise<RedisBackupResult> {
  const began = performance.now();
  const client = await connectRedis(service);
  try {
    const server = parseInfo(
      String(await redisStep("reading INFO server", () => client.sendCommand(["INFO", "server"]))),
    );
    const files = onHost(ctx, service, await redisFiles(client));
    await removeLeftTempFiles(ctx, await findRedisLeftovers(ctx, { client, files }));
    const atStart = await keyspaceOf(client);
    const saving = createProgress(ctx.output, { label: "redis BGSAVE", unit: "keys" });
    let save;
    try {
      save = await backgroundSave(client, {
        signal: ctx.signal,
        onProgress: (done, total) => saving.update(done, total),
      });
    } finally {
      saving.done();
    }
    const atEnd = await keyspaceOf(client);
    const exact = sameKeyspace(atStart, atEnd);
    const source = join(files.dir, files.dbfilename);
    const copying = createProgress(ctx.output, {
      label: "redis backup",
      total: (await Deno.stat(source)).size,
    });
    let entry;
    try {
      entry = await writeBackup({
        backupDir: ctx.environment.backupDir,
        service: "redis",
        environment: ctx.environment.name,
        label: options.label,
        options: { format: "rdb" },
        onProgress: (n) => copying.update(n),
      }, async (writer) => {
        // the file is opened before reading: a later save renames a new file over the
        // name, while this copy keeps reading the complete one it opened
        await writer.copyFile(source, "dump.rdb");
        const details: RedisBackupDetails = {
          file: "dump.rdb",
          keyspace: exact ? atStart : atEnd,
          keyspaceAtStart: atStart,
          keyspaceExact: exact,
          keysAtFork: save.keysAtFork,
          appendonly: files.appendonly,
        };
        return { details: { ...details }, serverVersion: server.redis_version ?? null };
      });
    } finally {
      copying.done();
    }
    return {
      service: "redis",
      id: entry.manifest.id,
      path: entry.path,
      label: entry.manifest.label,
      bytes: entry.manifest.totalBytes,
      keyspace: exact ? atStart : atEnd,
      keyspaceExact: exact,
      durationMs: Math.round(performance.now() - began),
    };
  } finally {
    await client.close().catch(() => {});
  }
}

/** Options of {@link restoreRedis}. */
export interface RedisRestoreOptions {
  /** Take a backup of the current dataset first (default true; skipped when redis is stopped). */
  safetyBackup?: boolean;
  /** Ask with ctx.confirm after verification (default true; a backup set confirms once for all). */
  confirm?: boolean;
}

/** The result of `redis:restore`. */
export interface RedisRestoreResult {
  service: "redis";
  id: string;
  /** The backup taken of the replaced dataset, when one was. */
  safetyBackupId: string | null;
  appendonly: boolean;
  expected: Keyspace;
  keyspace: Keyspace;
  check: KeyspaceCheck;
  durationMs: number;
}

/**
 * Restores a Redis backup: verifies every checksum first (a damaged backup
 * changes nothing), takes a safety backup, stops redis, puts the backup's RDB
 * in place of `dump.rdb`, starts it and checks the key counts against the
 * manifest. With the append-only file on, the AOF would win over the RDB at
 * start-up: its folder is moved aside, redis starts with appendonly off,
 * then `CONFIG SET appendonly yes` writes a fresh AOF from the restored data.
 * The replaced files are kept aside until the check passes; on any failure
 * they are put back and redis is started on them again.
 * @throws {UsageError} for an unknown id; {FailedError} for a damaged backup or a failed check.
 */
export async function restoreRedis(
  ctx: TaskContext,
  id: string,
  options: RedisRestoreOptions = {},
): Promise<RedisRestoreResult> {
  const service = ctx.service("redis");
  const backup = await readBackup(ctx.environment.backupDir, "redis", id);
  await assertBackupIntact(ctx, backup);
  const details = redisDetails(backup.manifest);
  if (options.confirm ?? true) {
    await ctx.confirm(
      `replace the redis dataset with backup ${backup.manifest.id} (${
        describeKeyspace(details.keyspace)
      })`,
    );
  }
  return await withBackupLock(ctx.environment.backupDir, "redis", "redis:restore", async () => {
    const began = performance.now();
    const running = (await ctx.runtime.inspect(service)).state === "running";
    let safetyBackupId: string | null = null;
    if (running && (options.safetyBackup ?? true)) {
      ctx.output.info("taking a safety backup of the current redis dataset...");
      const safety = await backupUnlocked(ctx, service, {
        label: `before restore of ${backup.manifest.id}`,
      });
      safetyBackupId = safety.id;
    }
    const files = onHost(ctx, service, await currentFiles(service, running));
    // temp files of interrupted saves and restores go first (a safety backup removed them already)
    if (!safetyBackupId) await removeLeftTempFiles(ctx, await findRedisLeftovers(ctx));
    ctx.output.info("stopping redis...");
    await ctx.runtime.stop(service);
    const swap = await swapInRdb(files, join(backup.path, details.file));
    try {
      ctx.output.info("starting redis on the restored data...");
      await ctx.runtime.start(withAppendOnly(service, false), { signal: ctx.signal });
      const client = await connectRedis(service);
      try {
        if (files.appendonly) await enableAppendOnly(client, ctx.signal);
        const keyspace = await keyspaceOf(client);
        const expired = Number((await persistenceInfo(client)).rdb_last_load_keys_expired ?? 0);
        const check = compareKeyspace(details, keyspace, expired);
        if (!check.ok) {
          throw new FailedError(
            `the restored redis dataset does not match backup ${backup.manifest.id}: ${
              check.problems.join("; ")
            }`,
          );
        }
        await swap.commit();
        return {
          service: "redis",
          id: backup.manifest.id,
          safetyBackupId,
          appendonly: files.appendonly,
          expected: details.keyspace,
          keyspace,
          check,
          durationMs: Math.round(performance.now() - began),
        };
      } finally {
        await client.close().catch(() => {});
      }
    } catch (error) {
      ctx.output.warn("the restore failed: putting the previous redis data back");
      await ctx.runtime.stop(service).catch(() => {});
      await swap.rollback();
      if (running) await startAgain(ctx, service);
      throw error;
    }
  });
}

/**
 * Starts redis on the data put back after a failed restore: a second try after
 * a pause, then a warning naming the cause (the data is in place either way).
 */
async function startAgain(ctx: TaskContext, service: ConfiguredService): Promise<void> {
  for (let attempt = 1;; attempt++) {
    try {
      await ctx.runtime.start(service);
      return;
    } catch (error) {
      if (attempt < 2) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      ctx.output.warn(
        `redis did not start again on the previous data: ${
          errorMessage(error)
        } (./ops redis:start tries again)`,
      );
      return;
    }
  }
}

/** File locations from the running server, else from the settings (as the runtime renders them). */
async function currentFiles(service: ConfiguredService, running: boolean): Promise<RedisFiles> {
  if (running) {
    const client = await connectRedis(service);
    try {
      return await redisFiles(client);
    } finally {
      await client.close().catch(() => {});
    }
  }
  return {
    dir: redisPaths(service.stateDir).data,
    dbfilename: "dump.rdb",
    appendonly: service.settings.appendOnly === true,
    appenddirname: "appendonlydir",
    appendfilename: "appendonly.aof",
  };
}

/** The service with `appendOnly` overridden for one start (the config file is rendered from settings). */
function withAppendOnly(service: ConfiguredService, on: boolean): ConfiguredService {
  return { ...service, settings: { ...service.settings, appendOnly: on } };
}

async function keyspaceOf(client: RedisConnection): Promise<Keyspace> {
  return parseKeyspace(
    String(
      await redisStep(
        "counting keys (INFO keyspace)",
        () => client.sendCommand(["INFO", "keyspace"]),
      ),
    ),
  );
}

/**
 * The temp files of saves, rewrites and restores in the redis data folder,
 * each marked stale when its writer is gone. `server` is the connection and
 * file locations of a running redis when the caller has them; without, redis
 * is connected to when it runs, and its folder read from the settings when not.
 */
export async function findRedisLeftovers(
  ctx: TaskContext,
  server?: { client: RedisConnection; files: RedisFiles },
): Promise<FoundLeftover[]> {
  const service = ctx.service("redis");
  if (!server) {
    if ((await ctx.runtime.inspect(service)).state !== "running") {
      return await findTempFiles(ctx, onHost(ctx, service, await currentFiles(service, false)));
    }
    const client = await connectRedis(service);
    try {
      return await findRedisLeftovers(ctx, {
        client,
        files: onHost(ctx, service, await redisFiles(client)),
      });
    } finally {
      await client.close().catch(() => {});
    }
  }
  return await findTempFiles(ctx, server.files, server.client);
}

/** The temp files in `files.dir`; without `client` (redis stopped) no save can be running. */
function findTempFiles(
  ctx: TaskContext,
  files: RedisFiles,
  client?: RedisConnection,
): Promise<FoundLeftover[]> {
  return findRedisTempFiles("redis", files, {
    pidsVisible: ctx.runtime.kind === "native",
    forkInProgress: async () =>
      client ? hasForkedChild(await persistenceInfo(client, "looking for a running save")) : false,
  });
}

async function removeLeftTempFiles(ctx: TaskContext, found: FoundLeftover[]): Promise<void> {
  const removed = await removeStale(found);
  if (removed.length > 0) {
    ctx.output.info(`removed temp files of interrupted saves and restores: ${removed.join(", ")}`);
  }
}

function sameKeyspace(a: Keyspace, b: Keyspace): boolean {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...names].every((n) => (a[n]?.keys ?? 0) === (b[n]?.keys ?? 0));
}

/** `1,204 keys in db0, 3 in db2`. */
export function describeKeyspace(keyspace: Keyspace): string {
  const dbs = Object.entries(keyspace).filter(([, d]) => d.keys > 0);
  if (dbs.length === 0) return "no keys";
  return dbs.map(([name, d], i) =>
    `${d.keys.toLocaleString("en-US")}${i ? "" : " keys"} in ${name}`
  )
    .join(", ");
}

function redisDetails(manifest: BackupManifest): RedisBackupDetails {
  const d = manifest.details as Partial<RedisBackupDetails>;
  if (typeof d.file !== "string" || typeof d.keyspace !== "object" || d.keyspace === null) {
    throw new FailedError(`backup ${manifest.id} has no redis details in its manifest`);
  }
  return {
    file: d.file,
    keyspace: d.keyspace,
    keyspaceAtStart: d.keyspaceAtStart ?? d.keyspace,
    keyspaceExact: d.keyspaceExact ?? true,
    keysAtFork: d.keysAtFork ?? null,
    appendonly: d.appendonly ?? false,
  };
}

/**
 * The server's file locations as this host sees them. A container reports its
 * own path (`/data`); the compose files mount the environment's state folder
 * there (services/redis/compose.yaml), the same folder the native runtime uses
 * (on a swarm, the node's: this host's own on a local cluster).
 */
function onHost(ctx: TaskContext, service: ConfiguredService, files: RedisFiles): RedisFiles {
  return ctx.runtime.kind !== "native"
    ? { ...files, dir: redisPaths(service.stateDir).data }
    : files;
}
