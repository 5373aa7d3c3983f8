import { join } from "../posix_path.ts";
import { BusyError } from "../errors.ts";
import { isAlive, type ProcessStart, sleep } from "../runtime/proc.ts";
import { selfStart } from "./_self_process.ts";
import { serviceBackupDir } from "./manifest.ts";

/** What a lock file holds: who holds it and since when. */
export interface LockHolder extends ProcessStart {
  pid: number;
  host: string;
  task: string;
  startedAt: string;
}

/** The lock file of a service's backups. */
export function backupLockPath(backupDir: string, service: string): string {
  return join(serviceBackupDir(backupDir, service), ".lock");
}

/**
 * Runs `fn` holding the exclusive backup lock of a service (backup, restore,
 * prune). The lock is a file created with `createNew`; a lock whose process is
 * gone (same host) is taken over.
 * @throws {BusyError} at once when another live process holds it, naming the holder.
 */
export async function withBackupLock<T>(
  backupDir: string,
  service: string,
  task: string,
  fn: () => Promise<T>,
): Promise<T> {
  const path = backupLockPath(backupDir, service);
  await Deno.mkdir(serviceBackupDir(backupDir, service), { recursive: true, mode: 0o750 });
  const mine: LockHolder = {
    pid: Deno.pid,
    ...(await selfStart()),
    host: Deno.hostname(),
    task,
    startedAt: new Date().toISOString(),
  };
  const text = JSON.stringify(mine) + "\n";
  for (let attempt = 0;; attempt++) {
    try {
      await Deno.writeTextFile(path, text, { createNew: true, mode: 0o640 });
      break;
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
    const holder = await readHolder(path);
    if (holder === "gone") continue;
    if (holder && (holder.host !== mine.host || await isAlive(holder.pid, holder))) {
      throw busy(service, holder);
    }
    if (holder === undefined) {
      // being written right now, or left empty by a crash: give a writer time to finish
      if (attempt < 5) {
        await sleep(100);
        continue;
      }
      const info = await Deno.stat(path).catch(() => undefined);
      if (info?.mtime && Date.now() - info.mtime.getTime() < 10_000) throw busy(service, holder);
    }
    if (attempt >= 8) throw busy(service, holder);
    await takeOver(path, holder);
  }
  try {
    return await fn();
  } finally {
    const holder = await readHolder(path);
    if (holder && holder !== "gone" && holder.pid === mine.pid && holder.host === mine.host) {
      await Deno.remove(path).catch(() => {});
    }
  }
}

function busy(service: string, holder: LockHolder | undefined): BusyError {
  const who = holder
    ? `${holder.task} (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt})`
    : "another run (the lock file is unreadable)";
  return new BusyError(
    `${service} backups are locked by ${who}`,
    holder
      ? "wait for it to finish; a lock whose process has died is taken over automatically"
      : `remove the lock file when no backup, restore or prune of ${service} is running`,
  );
}

/**
 * Removes a dead holder's lock. The file is first renamed aside and checked:
 * when another process took the lock over in between, its fresh lock is put back.
 */
async function takeOver(path: string, stale: LockHolder | undefined): Promise<void> {
  const aside = `${path}.stale-${Deno.pid}`;
  try {
    await Deno.rename(path, aside);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  const moved = await readHolder(aside);
  const same = moved !== "gone" && moved?.pid === stale?.pid &&
    moved?.startedAt === stale?.startedAt;
  if (!same) await Deno.link(aside, path).catch(() => {});
  await Deno.remove(aside).catch(() => {});
}

/** The holder in a lock file; "gone" when the file disappeared; undefined when unreadable. */
async function readHolder(path: string): Promise<LockHolder | "gone" | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "gone";
    throw error;
  }
  try {
    const value = JSON.parse(text) as LockHolder;
    return typeof value.pid === "number" ? value : undefined;
  } catch {
    return undefined;
  }
}
