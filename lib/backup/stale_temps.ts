import { join } from "../path.ts";
import { isAlive, type ProcessStart } from "../runtime/proc.ts";

/** The file in a temp backup folder naming the process writing it. */
export const writerFileName = ".writer.json";

/** Who writes a temp backup folder: the task process and the programs it started. */
export interface WriterRecord extends ProcessStart {
  pid: number;
  host: string;
  children: ({ pid: number } & ProcessStart)[];
}

/** A temp folder without a writer file younger than this may still be starting. */
const graceMs = 60_000;

/**
 * Removes `.tmp-*` folders left by backup runs that died (kill -9, power
 * loss): their writer process is gone. Programs such a run started that are
 * still writing into the folder are killed first. Returns the removed names.
 */
export async function removeStaleTemps(serviceDir: string): Promise<string[]> {
  const removed: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(serviceDir));
  } catch {
    return removed;
  }
  const host = Deno.hostname();
  for (const entry of entries) {
    if (!entry.isDirectory || !entry.name.startsWith(".tmp-")) continue;
    const dir = join(serviceDir, entry.name);
    const record = await readWriter(join(dir, writerFileName));
    if (record) {
      if (record.host !== host) continue;
      if (await isAlive(record.pid, record)) continue;
      for (const child of record.children) {
        if (await isAlive(child.pid, child)) {
          try {
            Deno.kill(child.pid, "SIGKILL");
          } catch {
            // gone meanwhile
          }
        }
      }
    } else {
      const info = await Deno.stat(dir).catch(() => undefined);
      if (!info?.mtime || Date.now() - info.mtime.getTime() < graceMs) continue;
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    removed.push(entry.name);
  }
  return removed;
}

async function readWriter(path: string): Promise<WriterRecord | undefined> {
  try {
    const value = JSON.parse(await Deno.readTextFile(path)) as WriterRecord;
    return typeof value.pid === "number" ? { ...value, children: value.children ?? [] } : undefined;
  } catch {
    return undefined;
  }
}
