/** CPU and memory of one service's processes. */
export interface ProcessFigures {
  /** Percent of one core over the time since the previous sample; null on the first sample. */
  cpuPercent: number | null;
  /** Sum of the resident memory of the processes, in KiB. */
  memoryKb: number;
}

interface SessionUse {
  cpuSeconds: number;
  memoryKb: number;
}

/** A year in seconds: elapsed times beyond it are read as "just started" (some kernels report garbage). */
const implausibleElapsed = 365 * 86400;

/**
 * Samples CPU and memory of native services. The native runtime starts each
 * service in its own session (setsid), so every process of a service, such
 * as PostgreSQL's backends, shares the session id that equals the service
 * pid. CPU time comes from `ps` %CUC (lifetime utilisation including dead
 * children, three decimals) times the elapsed time, which resolves far
 * better than `cputimes` (whole seconds); the percentage is the difference
 * between two samples divided by the wall time between them.
 */
export class ProcessSampler {
  #previous = new Map<number, { at: number; cpuSeconds: number }>();

  /**
   * Figures for the given service pids (session leaders), read with one `ps` call.
   * Pids that have no live process are absent from the result.
   */
  async sample(pids: readonly number[]): Promise<Map<number, ProcessFigures>> {
    const out = new Map<number, ProcessFigures>();
    if (pids.length === 0) {
      this.#previous.clear();
      return out;
    }
    const at = performance.now();
    const use = await readSessions(pids);
    const previous = new Map<number, { at: number; cpuSeconds: number }>();
    for (const [pid, figures] of use) {
      const before = this.#previous.get(pid);
      const wall = before ? (at - before.at) / 1000 : 0;
      const cpuPercent = before && wall > 0.2
        ? Math.max(0, ((figures.cpuSeconds - before.cpuSeconds) / wall) * 100)
        : null;
      out.set(pid, { cpuPercent, memoryKb: figures.memoryKb });
      previous.set(pid, { at, cpuSeconds: figures.cpuSeconds });
    }
    this.#previous = previous;
    return out;
  }
}

async function readSessions(sessions: readonly number[]): Promise<Map<number, SessionUse>> {
  const { stdout } = await new Deno.Command("ps", {
    args: ["-s", sessions.join(","), "-o", "sess=,stat=,etimes=,cuc=,rss="],
    stdout: "piped",
    stderr: "null",
  }).output();
  const use = new Map<number, SessionUse>();
  for (const line of new TextDecoder().decode(stdout).split("\n")) {
    const [sess, stat, etimes, cuc, rss] = line.trim().split(/\s+/);
    if (rss === undefined || stat === undefined || /^[ZX]/.test(stat)) continue;
    const session = Number(sess);
    const elapsed = Number(etimes);
    const seconds = elapsed > 0 && elapsed < implausibleElapsed ? (Number(cuc) / 100) * elapsed : 0;
    const entry = use.get(session) ?? { cpuSeconds: 0, memoryKb: 0 };
    entry.cpuSeconds += Number.isFinite(seconds) ? seconds : 0;
    entry.memoryKb += Number(rss) || 0;
    use.set(session, entry);
  }
  return use;
}
