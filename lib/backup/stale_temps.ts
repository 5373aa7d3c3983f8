import { basename, join } from "../posix_path.ts";
import { type FoundLeftover, removeStale } from "../leftovers/mod.ts";
import { isAlive, type ProcessStart } from "../runtime/proc.ts";
import { sendSignal } from "../runtime/send_signal.ts";

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
 * The `.tmp-*` folders of a catalog folder (`<backupDir>/<service>`): backups
 * being written and those left by runs that died (kill -9, power loss), each
 * marked stale when its writer process is gone (or, without a writer file,
 * when it is older than a minute). Removing one first kills the programs such
 * a run started that still write into it.
 */
export async function findTempFolders(serviceDir: string): Promise<FoundLeftover[]> {
  const found: FoundLeftover[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(serviceDir));
  } catch {
    return found;
  }
  const host = Deno.hostname();
  const service = basename(serviceDir);
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory || !entry.name.startsWith(".tmp-")) continue;
    const dir = join(serviceDir, entry.name);
    const record = await readWriter(join(dir, writerFileName));
    let owner: string;
    let stale: boolean;
    if (record) {
      const alive = record.host === host && await isAlive(record.pid, record);
      stale = record.host === host && !alive;
      owner = `pid ${record.pid} (${
        record.host !== host ? `on ${record.host}` : alive ? "still running" : "gone"
      })`;
    } else {
      const info = await Deno.stat(dir).catch(() => undefined);
      stale = !info?.mtime || Date.now() - info.mtime.getTime() >= graceMs;
      owner = "unknown owner (no writer file)";
    }
    found.push({
      leftover: {
        service,
        kind: "temp backup folder",
        name: entry.name,
        location: serviceDir,
        owner,
        stale,
      },
      remove: async () => {
        for (const child of record?.children ?? []) {
          if (await isAlive(child.pid, child)) await sendSignal(child.pid, "SIGKILL");
        }
        await Deno.remove(dir, { recursive: true });
      },
    });
  }
  return found;
}

/**
 * Removes the `.tmp-*` folders left by backup runs that died: their writer
 * process is gone. Returns the removed names.
 */
export async function removeStaleTemps(serviceDir: string): Promise<string[]> {
  return await removeStale(await findTempFolders(serviceDir));
}

async function readWriter(path: string): Promise<WriterRecord | undefined> {
  try {
    const value = JSON.parse(await Deno.readTextFile(path)) as WriterRecord;
    return typeof value.pid === "number" ? { ...value, children: value.children ?? [] } : undefined;
  } catch {
    return undefined;
  }
}
