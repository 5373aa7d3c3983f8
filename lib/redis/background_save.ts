import { FailedError } from "../errors.ts";
import { sleep } from "../runtime/proc.ts";
import type { RedisConnection } from "./connect_redis.ts";
import { parseInfo } from "./redis_info.ts";
import { redisFailure, redisStep } from "./redis_step.ts";

/** Where the server keeps its files and whether the append-only file is on (`CONFIG GET`). */
export interface RedisFiles {
  /** The data folder. */
  dir: string;
  /** The RDB file name in it (`dump.rdb`). */
  dbfilename: string;
  appendonly: boolean;
  /** The folder of the multi-part AOF in `dir` (Redis 7: `appendonlydir`). */
  appenddirname: string;
  /** The AOF base name (a single file before Redis 7). */
  appendfilename: string;
}

/** Reads the file locations from the running server. */
export async function redisFiles(client: RedisConnection): Promise<RedisFiles> {
  const get = async (name: string, fallback: string) =>
    (await redisStep(`reading its setting ${name}`, () => client.configGet(name)))[name] ??
      fallback;
  return {
    dir: await get("dir", "."),
    dbfilename: await get("dbfilename", "dump.rdb"),
    appendonly: (await get("appendonly", "no")) === "yes",
    appenddirname: await get("appenddirname", "appendonlydir"),
    appendfilename: await get("appendfilename", "appendonly.aof"),
  };
}

/**
 * The persistence section of `INFO` as strings.
 * @throws {FailedError} when the connection is lost, naming `attempt`.
 */
export async function persistenceInfo(
  client: RedisConnection,
  attempt = "reading INFO persistence",
): Promise<Record<string, string>> {
  return parseInfo(
    String(await redisStep(attempt, () => client.sendCommand(["INFO", "persistence"]))),
  );
}

/** Options of {@link backgroundSave}. */
export interface BackgroundSaveOptions {
  /** How long the save may take (default 1 h). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called while waiting with the keys written so far and the total at the fork. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Runs BGSAVE and waits until a save that started after this call has
 * finished with status ok: `rdb_saves` grew (or LASTSAVE changed) and
 * `rdb_bgsave_in_progress` is 0. A save already running is waited out first,
 * because it may have forked before the caller's last write.
 * @throws {FailedError} when the save fails or takes too long, or the server goes away.
 */
export async function backgroundSave(
  client: RedisConnection,
  options: BackgroundSaveOptions = {},
): Promise<{ durationMs: number; keysAtFork: number | null }> {
  const began = performance.now();
  const deadline = Date.now() + (options.timeoutMs ?? 3_600_000);
  const wait = async () => {
    if (options.signal?.aborted) throw options.signal.reason;
    if (Date.now() > deadline) {
      throw new FailedError("the redis background save did not finish in time", {
        hint: "read ./ops redis:logs",
      });
    }
    await sleep(50);
  };
  const waiting = "waiting for the background save";
  let before = await persistenceInfo(client, waiting);
  while (true) {
    while (before.rdb_bgsave_in_progress === "1") {
      await wait();
      before = await persistenceInfo(client, waiting);
    }
    try {
      // SCHEDULE: when an AOF rewrite is running, the save starts right after it
      await client.sendCommand(["BGSAVE", "SCHEDULE"]);
      break;
    } catch (error) {
      if (!/already in progress/i.test(String(error))) {
        throw await redisFailure(error, "starting BGSAVE");
      }
      before = await persistenceInfo(client, waiting);
    }
  }
  const savesBefore = Number(before.rdb_saves ?? NaN);
  const lastBefore = before.rdb_last_save_time;
  let keysAtFork: number | null = null;
  while (true) {
    const now = await persistenceInfo(client, waiting);
    const total = Number(now.current_save_keys_total ?? 0);
    if (now.rdb_bgsave_in_progress === "1" && total > 0) {
      keysAtFork = total;
      options.onProgress?.(Number(now.current_save_keys_processed ?? 0), total);
    }
    const finished = now.rdb_bgsave_in_progress === "0" &&
      (Number.isFinite(savesBefore)
        ? Number(now.rdb_saves) > savesBefore
        : now.rdb_last_save_time !== lastBefore);
    if (finished) {
      if (now.rdb_last_bgsave_status !== "ok") {
        throw new FailedError("the redis background save failed", {
          hint: "read ./ops redis:logs (often: no disk space or no permission in the data folder)",
        });
      }
      return { durationMs: Math.round(performance.now() - began), keysAtFork };
    }
    await wait();
  }
}

/**
 * Turns the append-only file on at runtime and waits until its first rewrite
 * (the whole current dataset) is written.
 * @throws {FailedError} when the rewrite fails or takes more than an hour.
 */
export async function enableAppendOnly(
  client: RedisConnection,
  signal: AbortSignal,
): Promise<void> {
  await redisStep("turning the append-only file on", () => client.configSet("appendonly", "yes"));
  const deadline = Date.now() + 3_600_000;
  while (Date.now() < deadline) {
    if (signal.aborted) throw signal.reason;
    const info = await persistenceInfo(client, "waiting for the append-only file");
    if (
      info.aof_enabled === "1" && info.aof_rewrite_in_progress === "0" &&
      info.aof_rewrite_scheduled === "0"
    ) {
      if (info.aof_last_bgrewrite_status !== "ok") {
        throw new FailedError("redis could not write the append-only file after the restore", {
          hint: "read ./ops redis:logs",
        });
      }
      return;
    }
    await sleep(50);
  }
  throw new FailedError("redis did not finish writing the append-only file in time");
}
