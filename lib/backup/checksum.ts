import { opensslFileDigest } from "./_openssl_digest.ts";

/** Size and SHA-256 of some bytes. */
export interface Checksum {
  size: number;
  sha256: string;
}

/** Called with the number of bytes written so far. */
export type ProgressCallback = (bytes: number) => void;

/**
 * Writes a byte stream to a new file while hashing it, chunk by chunk: the
 * data is never held in memory as a whole. The file is fsynced before this resolves.
 */
export async function writeStreamWithChecksum(
  source: ReadableStream<Uint8Array>,
  path: string,
  onProgress?: ProgressCallback,
): Promise<Checksum> {
  // node:crypto hashes incrementally (WebCrypto cannot); loaded here, off the start-up path
  const { createHash } = await import("node:crypto");
  const hash = createHash("sha256");
  const file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
  let size = 0;
  try {
    for await (const chunk of chunksOf(source)) {
      hash.update(chunk);
      let written = 0;
      while (written < chunk.length) written += await file.write(chunk.subarray(written));
      size += chunk.length;
      onProgress?.(size);
    }
    await file.syncData();
  } finally {
    file.close();
  }
  return { size, sha256: hash.digest("hex") };
}

/**
 * The chunks of a stream. A byte stream (process pipes, files) is read into
 * one reused buffer: a fresh array per chunk would leave garbage that grows
 * the process by tens of MB while a large dump streams through.
 */
async function* chunksOf(source: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  let reader: ReadableStreamBYOBReader;
  try {
    reader = source.getReader({ mode: "byob" });
  } catch {
    yield* source; // not a byte stream
    return;
  }
  try {
    let buffer = new ArrayBuffer(256 * 1024);
    while (true) {
      const { done, value } = await reader.read(new Uint8Array(buffer));
      if (done || !value) break;
      yield value;
      buffer = value.buffer as ArrayBuffer;
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * Re-reads a file and returns its size and SHA-256: with `openssl dgst` where
 * this run may start it (the CPU's SHA instructions), else in-process.
 */
export async function hashFile(path: string, onProgress?: ProgressCallback): Promise<Checksum> {
  const fast = await opensslFileDigest(path);
  if (fast) {
    onProgress?.(fast.size);
    return fast;
  }
  // node:crypto hashes incrementally (WebCrypto cannot); loaded here, off the start-up path
  const { createHash } = await import("node:crypto");
  const hash = createHash("sha256");
  using file = await Deno.open(path, { read: true });
  let size = 0;
  const buffer = new Uint8Array(1 << 20);
  while (true) {
    const n = await file.read(buffer);
    if (n === null) break;
    hash.update(buffer.subarray(0, n));
    size += n;
    onProgress?.(size);
  }
  return { size, sha256: hash.digest("hex") };
}
