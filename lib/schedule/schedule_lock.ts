import { join } from "../posix_path.ts";
import { BusyError } from "../errors.ts";
import { isAlive, type ProcessStart, processStartOrNow } from "../runtime/proc.ts";
import { scheduleDir } from "./run_history.ts";

/** Who runs a schedule right now. */
export interface ScheduleHolder extends ProcessStart {
  pid: number;
  startedAt: string;
}

function lockPath(stateDir: string, name: string): string {
  return join(scheduleDir(stateDir, name), "lock");
}

/** The live holder of a schedule's lock, or null when no run of it is going on. */
export async function scheduleHolder(
  stateDir: string,
  name: string,
): Promise<ScheduleHolder | null> {
  try {
    const holder = JSON.parse(await Deno.readTextFile(lockPath(stateDir, name))) as ScheduleHolder;
    return await isAlive(holder.pid, holder) ? holder : null;
  } catch {
    return null;
  }
}

/**
 * Runs `fn` holding the schedule's lock, so two runs of one schedule (a slow
 * backup and the next cron minute) never overlap. A lock whose process is
 * gone is taken over.
 * @throws {BusyError} when a live run holds it, naming its pid and start.
 */
export async function withScheduleLock<T>(
  stateDir: string,
  name: string,
  fn: () => Promise<T>,
): Promise<T> {
  const path = lockPath(stateDir, name);
  await Deno.mkdir(scheduleDir(stateDir, name), { recursive: true, mode: 0o750 });
  const mine: ScheduleHolder = {
    pid: Deno.pid,
    ...(await processStartOrNow(Deno.pid)),
    startedAt: new Date().toISOString(),
  };
  for (let attempt = 0;; attempt++) {
    try {
      await Deno.writeTextFile(path, JSON.stringify(mine) + "\n", { createNew: true, mode: 0o640 });
      break;
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
    const holder = await scheduleHolder(stateDir, name);
    if (holder || attempt >= 3) {
      throw new BusyError(
        `schedule ${JSON.stringify(name)} is already running${
          holder ? ` (pid ${holder.pid}, since ${holder.startedAt})` : ""
        }`,
        "this run is skipped; the next due time starts it again",
      );
    }
    // the holder is gone: take its lock over
    await Deno.remove(path).catch(() => {});
  }
  try {
    return await fn();
  } finally {
    await Deno.remove(path).catch(() => {});
  }
}
