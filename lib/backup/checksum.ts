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
    for await (const chunk of source) {
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

/** Re-reads a file and returns its size and SHA-256. */
export async function hashFile(path: string, onProgress?: ProgressCallback): Promise<Checksum> {
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
