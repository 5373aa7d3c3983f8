import type { Buffer } from "node:buffer";

// node:buffer loads with the redis client, inside the functions that scan: never at start-up
let BufferClass: typeof Buffer;
async function loadBuffer(): Promise<typeof Buffer> {
  BufferClass ??= (await import("node:buffer")).Buffer;
  return BufferClass;
}
import type { RedisConnection } from "./connect_redis.ts";

/** Options of the SCAN-based functions. */
export interface ScanKeysOptions {
  /** The SCAN COUNT hint: keys examined per call (default 2000). */
  batch?: number;
  /** UNLINK calls in flight at once (default 8). */
  inFlight?: number;
  /** Called with the keys matched (scan) or removed (unlink) so far. */
  onProgress?: (keys: number) => void;
  signal?: AbortSignal;
}

/** One SCAN page packed tightly: the key bytes end to end and where each key ends. */
interface PackedPage {
  data: Uint8Array;
  ends: Uint32Array;
}

/**
 * The keys a scan matched. `pages` holds them packed (a few bytes over the
 * key length each) unless they exceeded the memory budget; then only the count is known.
 */
export interface MatchedKeys {
  count: number;
  pages: PackedPage[] | null;
}

/** Keys per UNLINK call when removing kept keys: a millisecond or two of server time. */
const unlinkGroup = 4000;

/** Runs SCAN over the selected database with binary-safe keys, one page at a time. */
async function* scanPages(
  client: RedisConnection,
  pattern: string,
  options: ScanKeysOptions,
): AsyncGenerator<Buffer[]> {
  const { RESP_TYPES } = await import("redis");
  const Buffer = await loadBuffer();
  // keys as Buffers: a key that is not valid UTF-8 must be unlinked byte for byte
  const binary = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  let cursor = "0";
  do {
    if (options.signal?.aborted) throw options.signal.reason;
    const page = await binary.scan(cursor, { MATCH: pattern, COUNT: options.batch ?? 2000 });
    cursor = page.cursor.toString();
    if (page.keys.length > 0) yield page.keys as Buffer[];
  } while (cursor !== "0");
}

function pack(keys: Buffer[]): PackedPage {
  const ends = new Uint32Array(keys.length);
  let size = 0;
  keys.forEach((key, i) => {
    size += key.length;
    ends[i] = size;
  });
  const data = new Uint8Array(size);
  keys.forEach((key, i) => data.set(key, ends[i]! - key.length));
  return { data, ends };
}

/** A key as a command argument: a string when it is ASCII, else its bytes. */
type KeyArg = string | Buffer;

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! > 0x7f) return false;
  return true;
}

/**
 * The keys of a packed page as command arguments. ASCII keys become strings:
 * node-redis writes a command's string arguments as one chunk but every
 * Buffer argument as two socket writes, which costs more than the UNLINK itself.
 */
function unpack(page: PackedPage): KeyArg[] {
  const keys: KeyArg[] = [];
  const text = isAscii(page.data)
    ? BufferClass.from(page.data.buffer, page.data.byteOffset, page.data.byteLength).toString(
      "latin1",
    )
    : undefined;
  let start = 0;
  for (const end of page.ends) {
    keys.push(
      text === undefined
        ? BufferClass.from(page.data.buffer, page.data.byteOffset + start, end - start)
        : text.slice(start, end),
    );
    start = end;
  }
  return keys;
}

/** Keys from a SCAN page as command arguments (see {@link unpack}). */
function asArgs(keys: Buffer[]): KeyArg[] {
  return keys.map((key) => (isAscii(key) ? key.toString("latin1") : key));
}

/**
 * Finds the keys matching a glob pattern with SCAN (the server stays
 * responsive; a key changed during the scan may be seen twice or missed, as
 * SCAN guarantees) and keeps them, packed, while they fit in `maxBytes`
 * (default 64 MiB, a few million keys), so they can be removed without a second scan.
 */
export async function scanMatchingKeys(
  client: RedisConnection,
  pattern: string,
  options: ScanKeysOptions & { maxBytes?: number } = {},
): Promise<MatchedKeys> {
  const budget = options.maxBytes ?? 64 * 1024 * 1024;
  let pages: PackedPage[] | null = [];
  let bytes = 0;
  let count = 0;
  for await (const keys of scanPages(client, pattern, options)) {
    count += keys.length;
    if (pages) {
      const page = pack(keys);
      bytes += page.data.byteLength + page.ends.byteLength;
      if (bytes > budget) pages = null;
      else pages.push(page);
    }
    options.onProgress?.(count);
  }
  return { count, pages };
}

/** Counts the keys matching a glob pattern with SCAN, keeping none of them. */
export async function countMatchingKeys(
  client: RedisConnection,
  pattern: string,
  options: ScanKeysOptions = {},
): Promise<number> {
  return (await scanMatchingKeys(client, pattern, { ...options, maxBytes: 0 })).count;
}

/**
 * Removes keys, one UNLINK per batch, with up to `inFlight` calls pipelined on
 * the connection. UNLINK frees memory in the background, so big values do not
 * block the server. Returns the number of keys that existed and were removed.
 */
async function unlinkBatches(
  client: RedisConnection,
  batches: AsyncIterable<KeyArg[]> | Iterable<KeyArg[]>,
  options: ScanKeysOptions,
): Promise<number> {
  const { RESP_TYPES } = await import("redis");
  const Buffer = await loadBuffer();
  const binary = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  const limit = options.inFlight ?? 8;
  const pending = new Set<Promise<void>>();
  let removed = 0;
  let failure: unknown = undefined;
  for await (const keys of batches) {
    if (failure !== undefined) break;
    if (options.signal?.aborted) throw options.signal.reason;
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

/**
 * Removes the keys a {@link scanMatchingKeys} found: exactly those when they
 * were kept (keys created since are left alone), else by scanning again.
 */
export async function unlinkMatchedKeys(
  client: RedisConnection,
  pattern: string,
  matched: MatchedKeys,
  options: ScanKeysOptions = {},
): Promise<number> {
  if (matched.pages === null) return await unlinkMatchingKeys(client, pattern, options);
  const pages = matched.pages;
  // unpacked a few pages at a time (never a Buffer object for every key at once),
  // grouped so each UNLINK carries a few thousand keys
  const batches = function* () {
    let group: KeyArg[] = [];
    for (const page of pages) {
      group.push(...unpack(page));
      if (group.length >= unlinkGroup) {
        yield group;
        group = [];
      }
    }
    if (group.length > 0) yield group;
  };
  return await unlinkBatches(client, batches(), options);
}

/**
 * Removes the keys matching a glob pattern: SCAN pages, each unlinked with one
 * UNLINK while the scan goes on (pipelined). Returns the number removed.
 */
export async function unlinkMatchingKeys(
  client: RedisConnection,
  pattern: string,
  options: ScanKeysOptions = {},
): Promise<number> {
  const batches = async function* () {
    for await (const keys of scanPages(client, pattern, options)) yield asArgs(keys);
  };
  return await unlinkBatches(client, batches(), options);
}
