/**
 * Redis tasks: `redis:backup`, `redis:restore ID`, `redis:flush`. The backup
 * set (tasks/backup_set.ts) calls `backupRedis` / `restoreRedis`, re-exported here.
 * @module
 */
import { UsageError } from "../lib/errors.ts";
import { formatBytes } from "../lib/output/format_bytes.ts";
import type { Output } from "../lib/output/output.ts";
import { createProgress } from "../lib/output/progress.ts";
import {
  connectRedis,
  type MatchedKeys,
  scanMatchingKeys,
  unlinkMatchedKeys,
} from "../lib/redis/mod.ts";
import { type AnyTask, defineTask } from "../lib/task/define_task.ts";
import type { TaskContext } from "../lib/task/task_context.ts";
import {
  backupRedis,
  describeKeyspace,
  type RedisBackupResult,
  type RedisRestoreResult,
  restoreRedis,
} from "./redis_backup.ts";

export { backupRedis, restoreRedis } from "./redis_backup.ts";
export type {
  RedisBackupOptions,
  RedisBackupResult,
  RedisRestoreOptions,
  RedisRestoreResult,
} from "./redis_backup.ts";

/** Options of {@link flushRedis}. */
export interface RedisFlushOptions {
  /** Database number (default 0 with a pattern; required without one). */
  db?: number | undefined;
  /** Glob pattern of the keys to remove (SCAN MATCH syntax). */
  pattern?: string | undefined;
  /** Count only. */
  dryRun?: boolean;
  /** SCAN COUNT hint per call (default 2000). */
  batch?: number;
}

/** The result of `redis:flush`. */
export interface RedisFlushResult {
  db: number;
  /** The pattern, or null for the whole database (FLUSHDB). */
  pattern: string | null;
  /** Keys counted before anything was removed. */
  matched: number;
  /** Keys removed (0 in a dry run). */
  removed: number;
  dryRun: boolean;
  durationMs: number;
}

/**
 * Removes keys: the whole database with `db` alone (FLUSHDB ASYNC), or the
 * keys matching `pattern`. Always counts first and shows the count, then asks
 * (ctx.confirm: `--yes` for scripts, `--force` in protected environments); a
 * dry run only counts. With a pattern, the counting SCAN keeps the matched
 * keys (packed, up to 64 MiB) and exactly those are removed with pipelined
 * UNLINK batches, so keys created after the count are left alone; past that
 * budget the keys are found again by a second SCAN.
 * @throws {UsageError} without `db` or `pattern`, or when not confirmed.
 */
export async function flushRedis(
  ctx: TaskContext,
  options: RedisFlushOptions,
): Promise<RedisFlushResult> {
  if (options.db === undefined && options.pattern === undefined) {
    throw new UsageError(
      "redis:flush needs --db N (the whole database) or --pattern GLOB (matching keys)",
      'e.g. ./ops redis:flush --pattern "cache:*" --dry-run',
    );
  }
  if (options.pattern !== undefined && options.pattern.trim() === "") {
    throw new UsageError("--pattern is empty", 'give a glob such as "session:*"');
  }
  const db = options.db ?? 0;
  if (db > 15) {
    throw new UsageError(`--db ${db} does not exist: redis has databases 0 to 15`);
  }
  const began = performance.now();
  const client = await connectRedis(ctx.service("redis"), { database: db });
  try {
    const pattern = options.pattern ?? null;
    const batch = options.batch ?? 2000;
    let found: MatchedKeys | undefined;
    let matched: number;
    if (pattern === null) {
      matched = Number(await client.dbSize());
    } else {
      const counting = createProgress(ctx.output, { label: "counting", unit: "keys" });
      found = await scanMatchingKeys(client, pattern, {
        batch,
        signal: ctx.signal,
        onProgress: (n) => counting.update(n),
        ...(options.dryRun ? { maxBytes: 0 } : {}),
      }).finally(() => counting.done());
      matched = found.count;
    }
    const what = pattern === null
      ? `all ${matched.toLocaleString("en-US")} keys of db ${db}`
      : `${matched.toLocaleString("en-US")} keys matching ${JSON.stringify(pattern)} in db ${db}`;
    if (!options.dryRun) ctx.output.info(`found ${what}`);
    const result = (removed: number): RedisFlushResult => ({
      db,
      pattern,
      matched,
      removed,
      dryRun: options.dryRun ?? false,
      durationMs: Math.round(performance.now() - began),
    });
    if (options.dryRun || matched === 0) return result(0);
    await ctx.confirm(`remove ${what}`);
    if (pattern === null || found === undefined) {
      await client.sendCommand(["FLUSHDB", "ASYNC"]);
      return result(matched);
    }
    const removing = createProgress(ctx.output, {
      label: "removing",
      unit: "keys",
      total: matched,
    });
    const removed = await unlinkMatchedKeys(client, pattern, found, {
      batch,
      signal: ctx.signal,
      onProgress: (n) => removing.update(n),
    }).finally(() => removing.done());
    return result(removed);
  } finally {
    await client.close().catch(() => {});
  }
}

function renderBackup(result: RedisBackupResult, output: Output): void {
  output.line(
    `redis backup ${result.id}: ${formatBytes(result.bytes)}, ${describeKeyspace(result.keyspace)}${
      result.keyspaceExact ? "" : " (keys changed during the save)"
    }, ${(result.durationMs / 1000).toFixed(1)} s`,
  );
  output.line(`  ${result.path}`);
}

function renderRestore(result: RedisRestoreResult, output: Output): void {
  output.line(
    `redis restored from ${result.id}: ${describeKeyspace(result.keyspace)}${
      result.check.exact ? ", key counts match the backup" : ""
    }${
      result.check.expiredOnLoad
        ? ` (${result.check.expiredOnLoad} keys had expired and were not loaded)`
        : ""
    }`,
  );
  if (result.safetyBackupId) {
    output.line(`  the replaced data is in backup ${result.safetyBackupId}`);
  }
  if (result.appendonly) output.line("  append-only file rewritten from the restored data");
}

function renderFlush(result: RedisFlushResult, output: Output): void {
  const target = result.pattern === null
    ? `keys of db ${result.db}`
    : `keys matching ${JSON.stringify(result.pattern)} in db ${result.db}`;
  if (result.dryRun) output.line(`would remove ${result.matched} ${target}`);
  else if (result.matched === 0) output.line(`nothing to remove: no ${target}`);
  else {
    output.line(
      `removed ${result.removed} ${target} in ${(result.durationMs / 1000).toFixed(1)} s`,
    );
  }
}

/** `redis:backup`, `redis:restore` and `redis:flush`. */
export function redisTasks(): AnyTask[] {
  const backup = defineTask({
    id: "redis:backup",
    summary: "Back up Redis: BGSAVE, then copy the RDB with its checksum into the catalog",
    service: "redis",
    action: "backup",
    permissions: "ops",
    options: {
      label: { type: "string", description: "free text kept with the backup", placeholder: "TEXT" },
    },
    run: (ctx, { options }) => backupRedis(ctx, { label: options.label }),
    render: renderBackup,
  });
  const restore = defineTask({
    id: "redis:restore",
    summary: "Replace the Redis dataset with a backup (verified first), then check the key counts",
    service: "redis",
    action: "restore",
    permissions: "ops",
    dangerous: true,
    args: [{ name: "id", description: "backup id, or latest", required: true }],
    options: {
      "no-safety-backup": {
        type: "boolean",
        description: "do not back up the current dataset first",
        default: false,
      },
    },
    run: (ctx, { args, options }) =>
      restoreRedis(ctx, args[0]!, { safetyBackup: !options["no-safety-backup"] }),
    render: renderRestore,
  });
  const flush = defineTask({
    id: "redis:flush",
    summary: "Remove the keys of a database (--db N) or matching a pattern (--pattern GLOB)",
    service: "redis",
    action: "flush",
    permissions: "ops",
    dangerous: true,
    options: {
      db: {
        type: "number",
        description: "database number (with --pattern: where to look, default 0)",
        min: 0,
        integer: true,
        placeholder: "N",
      },
      pattern: {
        type: "string",
        description: 'remove only keys matching this glob, e.g. "cache:*"',
        placeholder: "GLOB",
      },
      "dry-run": { type: "boolean", description: "only count the keys", default: false },
      batch: {
        type: "number",
        description: "keys examined per SCAN call",
        default: 2000,
        min: 10,
        integer: true,
        placeholder: "N",
      },
    },
    run: (ctx, { options }) =>
      flushRedis(ctx, {
        db: options.db,
        pattern: options.pattern,
        dryRun: options["dry-run"],
        batch: options.batch,
      }),
    render: renderFlush,
  });
  return [backup, restore, flush];
}
