import {
  isGone,
  type ProcessStart,
  processStartOrNow,
  readProcStat,
  sameStart,
} from "../runtime/proc.ts";

/**
 * The run that made a temporary thing (scratch database, snapshot repository,
 * temp file), as written into its name: its pid, its start (so a reused pid is
 * not taken for it) and a tag of its host (a server may be shared by hosts).
 */
export interface Owner {
  pid: number;
  start: ProcessStart;
  /** Four hex digits derived from the host name. */
  host: string;
}

/** Whether an owner still runs: on another host nobody here can tell. */
export type OwnerState = "alive" | "dead" | "elsewhere";

/**
 * `<pid>_b<seconds>_<host>`: `b` carries the start on the boot clock (seconds
 * after PID 1), `w` the wall-clock start where the boot clock cannot be read.
 * Lower-case letters, digits and `_` only, so it fits database names, file
 * names and OpenSearch repository names alike.
 */
const tokenPattern = /^(\d+)_([bw])(\d+)_([0-9a-f]{4})$/;

/** A token inside a longer name (for parsing `ops_tmp_restore_<token>_<suffix>`). */
export const ownerTokenSource: string = tokenPattern.source.slice(1, -1);

let mine: Promise<string> | undefined;

/** The token of this process, asked of `ps` once. */
export function myOwnerToken(): Promise<string> {
  mine ??= processStartOrNow(Deno.pid).then((start) =>
    formatOwnerToken({ pid: Deno.pid, start, host: hostTag(Deno.hostname()) })
  );
  return mine;
}

/** Writes an owner as a token. */
export function formatOwnerToken(owner: Owner): string {
  const boot = owner.start.sinceInit;
  const start = boot !== undefined && Number.isFinite(boot)
    ? `b${Math.max(0, Math.round(boot))}`
    : `w${Math.round(owner.start.startedEpoch)}`;
  return `${owner.pid}_${start}_${owner.host}`;
}

/** Reads a token; undefined when the text is not one. */
export function parseOwnerToken(text: string): Owner | undefined {
  const m = tokenPattern.exec(text);
  if (!m) return undefined;
  const value = Number(m[3]);
  const start: ProcessStart = m[2] === "b"
    ? { startedEpoch: NaN, sinceInit: value }
    : { startedEpoch: value };
  return { pid: Number(m[1]), start, host: m[4]! };
}

/**
 * Whether the owner still runs. A process with its pid that started at
 * another time is not it; when the two starts cannot be compared (a process
 * table without PID 1), it counts as alive: a leftover is kept rather than
 * taken from a run that may still use it.
 */
export async function ownerState(owner: Owner): Promise<OwnerState> {
  if (owner.host !== hostTag(Deno.hostname())) return "elsewhere";
  const stat = await readProcStat(owner.pid);
  if (!stat || isGone(stat)) return "dead";
  const comparable = Number.isFinite(owner.start.sinceInit)
    ? Number.isFinite(stat.sinceInit)
    : Number.isFinite(owner.start.startedEpoch);
  if (!comparable) return "alive";
  return sameStart(stat, owner.start) ? "alive" : "dead";
}

/** Four hex digits of an FNV-1a hash of the host name. */
export function hostTag(hostname: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(hostname)) {
    hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  }
  return (hash & 0xffff).toString(16).padStart(4, "0");
}

/** A short description of an owner for listings: `pid 123 (gone)`. */
export function describeOwner(owner: Owner | undefined, state: OwnerState | undefined): string {
  if (!owner) return "unknown owner";
  const what = state === "alive"
    ? "still running"
    : state === "elsewhere"
    ? `on another host (${owner.host})`
    : "gone";
  return `pid ${owner.pid} (${what})`;
}
