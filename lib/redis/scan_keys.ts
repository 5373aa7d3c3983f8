import type { RedisConnection } from "./connect_redis.ts";

/** Options of {@link countMatchingKeys} and {@link unlinkMatchingKeys}. */
export interface ScanKeysOptions {
  /** The SCAN COUNT hint: keys examined per call (default 1000). */
  batch?: number;
  /** UNLINK calls in flight at once while the scan goes on (default 8). */
  inFlight?: number;
  /** Called with the keys matched (count) or removed (unlink) so far. */
  onProgress?: (keys: number) => void;
  signal?: AbortSignal;
}

/** Runs SCAN over the selected database with binary-safe keys, one page at a time. */
async function* scanPages(
  client: RedisConnection,
  pattern: string,
  options: ScanKeysOptions,
): AsyncGenerator<Buffer[]> {
  const { RESP_TYPES } = await import("redis");
  // keys as Buffers: a key that is not valid UTF-8 must be unlinked byte for byte
  const binary = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  let cursor = "0";
  do {
    if (options.signal?.aborted) throw options.signal.reason;
    const page = await binary.scan(cursor, { MATCH: pattern, COUNT: options.batch ?? 1000 });
    cursor = page.cursor.toString();
    if (page.keys.length > 0) yield page.keys as Buffer[];
  } while (cursor !== "0");
}

/**
 * Counts the keys matching a glob pattern with SCAN (the database stays
 * responsive; a key changed during the scan may be counted twice or missed,
 * as SCAN guarantees).
 */
export async function countMatchingKeys(
  client: RedisConnection,
  pattern: string,
  options: ScanKeysOptions = {},
): Promise<number> {
  let count = 0;
  for await (const keys of scanPages(client, pattern, options)) {
    count += keys.length;
    options.onProgress?.(count);
  }
  return count;
}

/**
 * Removes the keys matching a glob pattern: SCAN pages of `batch` keys, each
 * page unlinked with one UNLINK while the scan goes on (up to `inFlight`
 * calls pipelined on the connection). UNLINK frees memory in the background,
 * so big values do not block the server. Returns the number of keys removed.
 */
export async function unlinkMatchingKeys(
  client: RedisConnection,
  pattern: string,
  options: ScanKeysOptions = {},
): Promise<number> {
  const { RESP_TYPES } = await import("redis");
  const binary = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  const limit = options.inFlight ?? 8;
  const pending = new Set<Promise<void>>();
  let removed = 0;
  let failure: unknown = undefined;
  for await (const keys of scanPages(client, pattern, options)) {
    if (failure !== undefined) break;
    const call: Promise<void> = binary.unlink(keys).then(
      (n) => {
        removed += Number(n);
        options.onProgress?.(removed);
      },
      (error: unknown) => {
        failure ??= error;
      },
    ).finally(() => pending.delete(call));
    pending.add(call);
    if (pending.size >= limit) await Promise.race(pending);
  }
  await Promise.all(pending);
  if (failure !== undefined) throw failure;
  return removed;
}
