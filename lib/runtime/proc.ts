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
  /** Unix time (seconds) the process started, within a second. */
  startedEpoch: number;
  /** User plus system CPU seconds. */
  cpuSeconds: number;
  /** Resident memory in KiB. */
  rssKb: number;
  /** Program name. */
  comm: string;
}

const columns = "pid=,ppid=,pgid=,stat=,etimes=,cputimes=,rss=,comm=";

async function ps(args: string[]): Promise<ProcStat[]> {
  const { stdout } = await new Deno.Command("ps", {
    args: [...args, "-o", columns],
    stdout: "piped",
    stderr: "null",
  }).output();
  const now = Date.now() / 1000;
  const out: ProcStat[] = [];
  for (const line of new TextDecoder().decode(stdout).split("\n")) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 8) continue;
    const [pid, ppid, pgid, state, etimes, cpu, rss, ...comm] = cols;
    out.push({
      pid: Number(pid),
      ppid: Number(ppid),
      pgid: Number(pgid),
      state: state!,
      startedEpoch: Math.round(now - Number(etimes)),
      cpuSeconds: Number(cpu),
      rssKb: Number(rss),
      comm: comm.join(" "),
    });
  }
  return out;
}

/** Every process on the machine. */
export function listProcesses(): Promise<ProcStat[]> {
  return ps(["-e"]);
}

/** One process, or undefined when there is no such process. */
export async function readProcStat(pid: number): Promise<ProcStat | undefined> {
  return (await ps(["-p", String(pid)]))[0];
}

/** Several processes with one `ps` call; missing ones are left out. */
export async function readProcStats(pids: readonly number[]): Promise<ProcStat[]> {
  if (pids.length === 0) return [];
  return await ps(["-p", pids.join(",")]);
}

/**
 * How far two readings of one process's start time may differ: `etimes` has
 * whole seconds and a loaded machine delays `ps`; a pid is not reused that fast.
 */
export const startTolerance = 5;

/** True when the process exists, is not a zombie and (when given) started at `startedEpoch` (±2 s). */
export async function isAlive(pid: number, startedEpoch?: number): Promise<boolean> {
  const stat = await readProcStat(pid);
  if (!stat || isGone(stat)) return false;
  return startedEpoch === undefined || Math.abs(stat.startedEpoch - startedEpoch) <= startTolerance;
}

function isGone(stat: ProcStat): boolean {
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
