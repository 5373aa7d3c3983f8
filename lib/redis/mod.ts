/**
 * Redis mechanisms: a connection from the environment's settings (node-redis,
 * imported lazily), INFO parsing, background saves and binary-safe SCAN +
 * UNLINK over a key pattern.
 *
 * @example
 * ```ts
 * import { connectRedis, countMatchingKeys } from "./lib/redis/mod.ts";
 * const client = await connectRedis(environment.services.find((s) => s.definition.name === "redis")!);
 * console.log(await countMatchingKeys(client, "session:*"));
 * await client.close();
 * ```
 * @module
 */
export { connectRedis } from "./connect_redis.ts";
export type { ConnectRedisOptions, RedisConnection } from "./connect_redis.ts";
export { parseInfo, parseKeyspace, totalKeys } from "./redis_info.ts";
export type { DatabaseKeys, Keyspace } from "./redis_info.ts";
export {
  backgroundSave,
  enableAppendOnly,
  persistenceInfo,
  redisFiles,
} from "./background_save.ts";
export { swapInRdb } from "./swap_in_rdb.ts";
export { findRedisTempFiles, hasForkedChild, restoreTempName } from "./redis_temp_files.ts";
export type { RedisTempCheck } from "./redis_temp_files.ts";
export { redisFailure, redisStep } from "./redis_step.ts";
export type { RdbSwap } from "./swap_in_rdb.ts";
export type { BackgroundSaveOptions, RedisFiles } from "./background_save.ts";
export {
  countMatchingKeys,
  scanMatchingKeys,
  unlinkMatchedKeys,
  unlinkMatchingKeys,
} from "./scan_keys.ts";
export type { MatchedKeys, ScanKeysOptions } from "./scan_keys.ts";
