/**
 * Facts about local processes, read with `ps` and `ss` (Deno grants /proc
 * only with every permission): liveness that survives pid reuse (start
 * time), process groups, CPU and memory, and who holds a port.
 * @module
 */

/** One process as `ps` reports it. */
export interface ProcStat {
  pid: number;
  ppid: number;
  pgid: number;
  /** `ps` state letters; "Z" (zombie) and "X" (dead) count as gone. */
  state: string;
  /** Unix time (seconds) the process started, within a second (moves when the wall clock is set). */
  startedEpoch: number;
  /**
   * Seconds between the start of PID 1 and the start of this process: both
   * read by one `ps` from the boot clock, so a wall-clock step (NTP, a resumed
   * virtual machine) leaves it unchanged.
   */
  sinceInit: number;
  /** User plus system CPU seconds. */
  cpuSeconds: number;
  /** Resident memory in KiB. */
  rssKb: number;
  /** Program name. */
  comm: string;
}

const columns = "pid=,ppid=,pgid=,stat=,etimes=,cputimes=,rss=,comm=";

/**
 * One look at the process table. PID 1 is always asked for too: it is the
 * reference of `sinceInit`, and since it always exists, a reading without it
 * is a failed reading (ps killed, out of processes), never "no such process".
 * Such a reading is taken again, so a failed `ps` cannot make a live service
 * look dead or a stop look finished.
 * @throws {Error} after three failed readings.
 */
async function ps(pids: readonly number[] | "all"): Promise<ProcStat[]> {
  for (let attempt = 1;; attempt++) {
    const last = attempt >= 3;
    const stats = await readTable(pids, last);
    if (stats) return stats;
    if (last) throw new Error("ps gave no reading of the process table three times");
    await sleep(50 * attempt);
  }
}

/**
 * One `ps` run; undefined when PID 1 is missing from it. With `acceptPartial`
 * (the last try), a table without PID 1 but with other rows is taken (a /proc
 * mounted with hidepid hides it from non-root users): `sinceInit` is then NaN.
 */
async function readTable(
  pids: readonly number[] | "all",
  acceptPartial: boolean,
): Promise<ProcStat[] | undefined> {
  const wanted = pids === "all" ? undefined : new Set(pids);
  const { stdout } = await new Deno.Command("ps", {
    // -q (quick pid mode) reads only the listed processes; -p reads every process on the
    // machine and then filters (4 times the system calls, 15 to 70 ms on a busy host)
    args: [...(wanted ? ["-q", [1, ...wanted].join(",")] : ["-e"]), "-o", columns],
    stdout: "piped",
    stderr: "null",
  }).output();
  const now = Date.now() / 1000;
  const rows: { cols: string[]; etimes: number }[] = [];
  let initElapsed: number | undefined;
  for (const line of new TextDecoder().decode(stdout).split("\n")) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 8) continue;
    const etimes = Number(cols[4]);
    if (cols[0] === "1") initElapsed = etimes;
    rows.push({ cols, etimes });
  }
  if (initElapsed === undefined && !(acceptPartial && rows.length > 0)) return undefined;
  const out: ProcStat[] = [];
  for (const { cols, etimes: read } of rows) {
    const [pid, ppid, pgid, state, , cpu, rss, ...comm] = cols;
    // a process started in the instant ps read the clock comes out with a negative
    // elapsed time wrapped to ~2^32 s: it is older than nothing, it started just now
    const etimes = (initElapsed !== undefined ? read > initElapsed : read > 2 ** 31) ? 0 : read;
    if (wanted && !wanted.has(Number(pid))) continue;
    out.push({
      pid: Number(pid),
      ppid: Number(ppid),
      pgid: Number(pgid),
      state: state!,
      startedEpoch: Math.round(now - etimes),
      sinceInit: initElapsed === undefined ? NaN : initElapsed - etimes,
      cpuSeconds: Number(cpu),
      rssKb: Number(rss),
      comm: comm.join(" "),
    });
  }
  return out;
}

/** Every process on the machine. */
export function listProcesses(): Promise<ProcStat[]> {
  return ps("all");
}

/** One process, or undefined when there is no such process. */
export async function readProcStat(pid: number): Promise<ProcStat | undefined> {
  return (await ps([pid]))[0];
}

/** Several processes with one `ps` call; missing ones are left out. */
export async function readProcStats(pids: readonly number[]): Promise<ProcStat[]> {
  if (pids.length === 0) return [];
  return await ps(pids);
}

/**
 * When a process started, as recorded next to its pid (pid files, locks,
 * writer records) so that a reused pid is not taken for it. Records written
 * before `sinceInit` existed carry only the wall-clock start.
 */
export interface ProcessStart {
  startedEpoch: number;
  sinceInit?: number;
}

/** The start of a running process, or undefined when there is no such process. */
export async function processStart(pid: number): Promise<ProcessStart | undefined> {
  const stat = await readProcStat(pid);
  return stat && { startedEpoch: stat.startedEpoch, sinceInit: stat.sinceInit };
}

/** The start of a process just spawned: when it already exited, now (wall clock only). */
export async function processStartOrNow(pid: number): Promise<ProcessStart> {
  return await processStart(pid) ?? { startedEpoch: Math.round(Date.now() / 1000) };
}

/**
 * True when `stat` is the process that started at `start`. Boot-clock starts
 * (whole seconds, read together) differ by at most a second; wall-clock starts,
 * the fallback for old records, get 5 s for a loaded machine.
 */
export function sameStart(stat: ProcStat, start: ProcessStart): boolean {
  if (Number.isFinite(start.sinceInit) && Number.isFinite(stat.sinceInit)) {
    return Math.abs(stat.sinceInit - start.sinceInit!) <= 1;
  }
  return Math.abs(stat.startedEpoch - start.startedEpoch) <= 5;
}

/** True when the process exists, is not a zombie and (when given) is the one that started at `start`. */
export async function isAlive(pid: number, start?: ProcessStart): Promise<boolean> {
  const stat = await readProcStat(pid);
  if (!stat || isGone(stat)) return false;
  return start === undefined || sameStart(stat, start);
}

/** True for a zombie ("Z") or dead ("X") process. */
export function isGone(stat: ProcStat): boolean {
  return stat.state.startsWith("Z") || stat.state.startsWith("X");
}

/** Live processes whose process group is `pgid`. */
export async function processGroupMembers(pgid: number): Promise<number[]> {
  return (await listProcesses()).filter((p) => p.pgid === pgid && !isGone(p)).map((p) => p.pid);
}

/** The process listening on a TCP port on this machine, when `ss` can tell. */
export async function portHolder(
  port: number,
): Promise<{ pid: number; command: string } | undefined> {
  try {
    const { stdout } = await new Deno.Command("ss", {
      args: ["-H", "-ltnp", `sport = :${port}`],
      stdout: "piped",
      stderr: "null",
    }).output();
    const m = /users:\(\("([^"]+)",pid=(\d+)/.exec(new TextDecoder().decode(stdout));
    return m ? { pid: Number(m[2]), command: m[1]! } : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
