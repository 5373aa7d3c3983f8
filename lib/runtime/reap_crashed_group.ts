import { FailedError } from "../errors.ts";
import { isGone, listProcesses, type ProcStat, sleep } from "./proc.ts";
import { sendSignal } from "./send_signal.ts";

/** Options of {@link reapCrashedGroup}. */
export interface ReapOptions {
  /** The service name, for messages. */
  name: string;
  /** A file whose first line is the pid of the server that holds it (postmaster.pid). */
  pidLockFile?: string | undefined;
  /** How long to wait for the group to be gone (default 15 s). */
  timeoutMs?: number;
}

/**
 * Ends what is left of a crashed service's process group and waits until it
 * is gone from the process table. Gone means gone, zombies included: after a
 * kill -9 of PostgreSQL's postmaster its backends still exit and the
 * postmaster waits as a zombie until its parent (PID 1) collects it, and a
 * postgres started meanwhile refuses with "lock file postmaster.pid already
 * exists" because that pid still exists. With `pidLockFile`, the pid the file
 * names must not exist either.
 * @throws {FailedError} when the lock file names a live process outside the
 * group, or the group is still there after the timeout.
 */
export async function reapCrashedGroup(pgid: number, options: ReapOptions): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  const lockPid = options.pidLockFile ? await readLockPid(options.pidLockFile) : undefined;
  let cannotSignal: unknown;
  while (true) {
    const table = await listProcesses();
    const group = table.filter((p) => p.pgid === pgid);
    const holder = lockPid === undefined ? undefined : table.find((p) => p.pid === lockPid);
    if (holder && holder.pgid !== pgid && !isGone(holder)) {
      throw new FailedError(
        `${options.name} cannot start: ${options.pidLockFile} names process ${holder.pid} (${holder.comm}), which is still running`,
        { hint: `stop process ${holder.pid} if it is an old ${options.name}, then start again` },
      );
    }
    const live = group.filter((p) => !isGone(p));
    if (live.length === 0 && group.length === 0 && !holder) return;
    if (live.length > 0 && !cannotSignal) {
      // what is left of a crashed server mostly exits by itself: without the right to
      // signal, waiting may still be enough
      await sendSignal(-pgid, "SIGKILL").catch((error) => (cannotSignal = error));
    }
    if (Date.now() > deadline) {
      // zombies nobody collects hold nothing but their pid: only a lock holder blocks a start
      if (live.length === 0 && !holder) return;
      if (live.length > 0 && cannotSignal) throw cannotSignal;
      throw new FailedError(
        `${options.name} cannot start: what is left of its crashed process group (${
          describe(live.length > 0 ? live : [holder!])
        }) did not go away`,
        {
          hint:
            "look at it with ps; a process that is not collected by its parent blocks the start",
        },
      );
    }
    await sleep(100);
  }
}

/** The pid on the first line of a lock file, or undefined when it is missing or unreadable. */
async function readLockPid(path: string): Promise<number | undefined> {
  try {
    const pid = Number((await Deno.readTextFile(path)).split("\n", 1)[0]!.trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function describe(processes: readonly ProcStat[]): string {
  return processes.slice(0, 5).map((p) => `${p.pid} ${p.comm} state ${p.state}`).join(", ");
}
