import { sleep } from "./proc.ts";

/** The last `count` lines of a file and the size it had when read (empty when there is no file). */
export async function tailLines(
  path: string,
  count: number,
): Promise<{ lines: string[]; size: number }> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch {
    return { lines: [], size: 0 };
  }
  try {
    const size = (await file.stat()).size;
    if (count <= 0) return { lines: [], size };
    const chunk = 64 * 1024;
    let position = size;
    let text = "";
    while (position > 0 && text.split("\n").length <= count + 1) {
      const start = Math.max(0, position - chunk);
      const buf = new Uint8Array(position - start);
      await file.seek(start, Deno.SeekMode.Start);
      let read = 0;
      while (read < buf.length) {
        const n = await file.read(buf.subarray(read));
        if (n === null) break;
        read += n;
      }
      text = new TextDecoder().decode(buf.subarray(0, read)) + text;
      position = start;
    }
    const lines = text.split("\n");
    if (lines.at(-1) === "") lines.pop();
    return { lines: lines.slice(-count), size };
  } finally {
    file.close();
  }
}

/** New complete lines appended to a file after `from`, until the signal aborts; restarts from 0 when the file is truncated. */
export async function* followLog(
  path: string,
  from: number,
  signal?: AbortSignal,
): AsyncIterable<string> {
  let offset = from;
  let pending = "";
  while (!signal?.aborted) {
    let size = 0;
    try {
      size = (await Deno.stat(path)).size;
    } catch {
      size = 0;
    }
    if (size < offset) offset = 0;
    if (size > offset) {
      const file = await Deno.open(path, { read: true });
      try {
        await file.seek(offset, Deno.SeekMode.Start);
        const buf = new Uint8Array(size - offset);
        let read = 0;
        while (read < buf.length) {
          const n = await file.read(buf.subarray(read));
          if (n === null) break;
          read += n;
        }
        offset += read;
        pending += new TextDecoder().decode(buf.subarray(0, read));
      } finally {
        file.close();
      }
      const parts = pending.split("\n");
      pending = parts.pop() ?? "";
      for (const line of parts) yield line;
    }
    await sleep(200);
  }
}
