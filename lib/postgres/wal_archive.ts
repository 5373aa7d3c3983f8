import { join } from "../posix_path.ts";
import { hashFile } from "../backup/checksum.ts";

/**
 * The WAL archive of an environment: `<backupDir>/postgres-wal/`, one file per
 * WAL segment (or timeline history) with its sha256 in `NAME.sha256`. It sits
 * beside the catalog folder `postgres/` rather than inside it because the
 * server's own user writes it (archive_command, pg_receivewal) and must not
 * read the catalog (0750 root); the WAL is the server's own data anyway.
 */
export function walArchiveDir(backupDir: string): string {
  return join(backupDir, "postgres-wal");
}

/**
 * The WAL receiver's replication slot and application name (stream mode):
 * `synchronous_standby_names` waits for it.
 */
export const walReceiverName = "hailmary_wal";

/** Bytes in one WAL segment (PostgreSQL's default, which initdb here keeps). */
export const walSegmentBytes = 16 * 1024 * 1024;

const segmentsPerLogId = 0x1_0000_0000 / walSegmentBytes;

/** A log sequence number as PostgreSQL prints it (`0/3000028`), as a bigint. */
export function parseLsn(text: string): bigint | undefined {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text.trim());
  if (!m) return undefined;
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

/** Formats an LSN as PostgreSQL does (`0/3000028`). */
export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${
    (lsn & 0xffff_ffffn).toString(16).toUpperCase()
  }`;
}

/** One segment file name: timeline and segment number. */
export interface SegmentName {
  timeline: number;
  /** Segment number from the start of the WAL (LSN / segment size). */
  segno: number;
}

const segmentPattern = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})$/;

/** Parses `000000010000000000000003`; undefined for anything else (history, .partial...). */
export function parseSegmentName(name: string): SegmentName | undefined {
  const m = segmentPattern.exec(name);
  if (!m) return undefined;
  const log = parseInt(m[2]!, 16);
  const seg = parseInt(m[3]!, 16);
  if (seg >= segmentsPerLogId) return undefined;
  return { timeline: parseInt(m[1]!, 16), segno: log * segmentsPerLogId + seg };
}

/** The file name of a segment. */
export function segmentFileName(timeline: number, segno: number): string {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(8, "0");
  return `${hex(timeline)}${hex(Math.floor(segno / segmentsPerLogId))}${
    hex(segno % segmentsPerLogId)
  }`;
}

/** The segment number holding an LSN. */
export function segmentOfLsn(lsn: bigint): number {
  return Number(lsn / BigInt(walSegmentBytes));
}

/** One file of the archive. */
export interface ArchivedWal {
  name: string;
  /** Set for segments, absent for history and backup-history files. */
  segment?: SegmentName;
  size: number;
  /** When it was archived (the file's modification time), ISO. */
  archivedAt: string;
  /** The recorded sha256 (`NAME.sha256`); null when none was recorded. */
  sha256: string | null;
}

/**
 * The files of the WAL archive, oldest segment first (temp files of an
 * archive command at work are left out). An archive that does not exist yet
 * is empty.
 */
export async function listArchivedWal(archiveDir: string): Promise<ArchivedWal[]> {
  const names = new Set<string>();
  try {
    for await (const entry of Deno.readDir(archiveDir)) {
      if (entry.isFile && !entry.name.startsWith(".")) names.add(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const out: ArchivedWal[] = [];
  for (const name of names) {
    if (name.endsWith(".sha256") || name.endsWith(".partial") || name.endsWith(".ended")) continue;
    const info = await Deno.stat(join(archiveDir, name)).catch(() => undefined);
    if (!info) continue;
    let sha256: string | null = null;
    if (names.has(`${name}.sha256`)) {
      const text = await Deno.readTextFile(join(archiveDir, `${name}.sha256`)).catch(() => "");
      sha256 = /^[0-9a-f]{64}/.exec(text)?.[0] ?? null;
    }
    const segment = parseSegmentName(name);
    out.push({
      name,
      ...(segment ? { segment } : {}),
      size: info.size,
      archivedAt: (info.mtime ?? new Date(0)).toISOString(),
      sha256,
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** A stretch of WAL missing from the archive, between two archived segments. */
export interface WalGap {
  timeline: number;
  /** First missing segment file name. */
  from: string;
  /** Last missing segment file name. */
  to: string;
  /** How many segments are missing. */
  segments: number;
  /** LSN where the missing WAL starts. */
  fromLsn: string;
}

/** Segments per timeline, sorted, and the gaps between them. */
export function findGaps(files: readonly ArchivedWal[], fromSegno = 0): WalGap[] {
  const byTimeline = new Map<number, number[]>();
  for (const f of files) {
    if (!f.segment) continue;
    const list = byTimeline.get(f.segment.timeline) ?? [];
    list.push(f.segment.segno);
    byTimeline.set(f.segment.timeline, list);
  }
  const gaps: WalGap[] = [];
  for (const [timeline, list] of [...byTimeline].sort((a, b) => a[0] - b[0])) {
    const sorted = list.sort((a, b) => a - b).filter((s) => s >= fromSegno);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1]!;
      const next = sorted[i]!;
      if (next - prev > 1) {
        gaps.push({
          timeline,
          from: segmentFileName(timeline, prev + 1),
          to: segmentFileName(timeline, next - 1),
          segments: next - prev - 1,
          fromLsn: formatLsn(BigInt(prev + 1) * BigInt(walSegmentBytes)),
        });
      }
    }
  }
  return gaps;
}

/**
 * The WAL a recovery from a base backup needs, from its first segment to
 * `until` (a segment number; the end of the archive when absent): the missing
 * segment files and the last segment of the unbroken run. A segment on the
 * base backup's timeline or any later one (a restore promoted a new timeline)
 * counts.
 */
export function walChain(
  files: readonly ArchivedWal[],
  timeline: number,
  startSegno: number,
  until?: number,
): { missing: string[]; lastSegno: number | undefined } {
  const have = new Set<number>();
  for (const f of files) {
    if (f.segment && f.segment.timeline >= timeline) have.add(f.segment.segno);
  }
  const missing: string[] = [];
  let last: number | undefined;
  const top = until ?? Math.max(startSegno - 1, ...have);
  for (let s = startSegno; s <= top; s++) {
    if (have.has(s)) {
      if (missing.length === 0) last = s;
    } else missing.push(segmentFileName(timeline, s));
  }
  return { missing, lastSegno: last };
}

/** The outcome of checking every archived file against its recorded sha256. */
export interface WalVerifyReport {
  ok: boolean;
  files: number;
  bytes: number;
  /** One line per damaged or unchecked file. */
  problems: string[];
  gaps: WalGap[];
}

/**
 * Re-reads every file of the archive, compares it with its recorded sha256
 * and looks for gaps between segments of each timeline.
 */
export async function verifyWalArchive(
  archiveDir: string,
  onProgress?: (bytes: number) => void,
): Promise<WalVerifyReport> {
  const files = await listArchivedWal(archiveDir);
  const problems: string[] = [];
  let bytes = 0;
  for (const f of files) {
    if (f.sha256 === null) {
      problems.push(`${f.name}: no sha256 was recorded`);
      continue;
    }
    const sum = await hashFile(join(archiveDir, f.name));
    bytes += sum.size;
    onProgress?.(bytes);
    if (sum.sha256 !== f.sha256) {
      problems.push(`${f.name}: sha256 ${sum.sha256} does not match the recorded ${f.sha256}`);
    }
  }
  const gaps = findGaps(files);
  for (const g of gaps) {
    problems.push(
      `timeline ${g.timeline}: ${g.segments} segment(s) missing from ${g.from} to ${g.to}`,
    );
  }
  return { ok: problems.length === 0, files: files.length, bytes, problems, gaps };
}

/** What {@link pruneWal} removed (or would remove). */
export interface WalPruneResult {
  /** WAL before this LSN is not needed by any kept base backup. */
  keptFrom: string | null;
  files: string[];
  bytes: number;
}

/**
 * Removes the archived WAL no kept base backup needs: every segment (and
 * backup-history file) before `keepFromSegno`, with its checksum file.
 * Timeline history files are always kept (they are tiny and a later restore
 * may need to follow them). Nothing is removed when `keepFromSegno` is undefined.
 */
export async function pruneWal(
  archiveDir: string,
  keepFromSegno: number | undefined,
  options: { dryRun: boolean },
): Promise<WalPruneResult> {
  const result: WalPruneResult = {
    keptFrom: keepFromSegno === undefined
      ? null
      : formatLsn(BigInt(keepFromSegno) * BigInt(walSegmentBytes)),
    files: [],
    bytes: 0,
  };
  if (keepFromSegno === undefined) return result;
  for (const f of await listArchivedWal(archiveDir)) {
    const segment = f.segment ?? parseSegmentName(f.name.slice(0, 24));
    if (!segment || f.name.endsWith(".history") || segment.segno >= keepFromSegno) continue;
    result.files.push(f.name);
    result.bytes += f.size;
    if (options.dryRun) continue;
    await Deno.remove(join(archiveDir, `${f.name}.sha256`)).catch(() => {});
    await Deno.remove(join(archiveDir, f.name)).catch(() => {});
  }
  return result;
}
