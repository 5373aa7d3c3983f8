import {
  type ArchivedWal,
  findGaps,
  formatLsn,
  parseLsn,
  parseSegmentName,
  segmentOfLsn,
  walChain,
  type WalGap,
  walSegmentBytes,
} from "./wal_archive.ts";
import type { PostgresConnection } from "./migrations.ts";

/** What the window needs of a base backup. */
export interface BaseBackupPoint {
  id: string;
  timeline: number;
  startLsn: string;
  stopLsn: string;
  /** ISO time by which the backup was consistent. */
  stopTime: string;
}

/** Where the live server writes its WAL and how far the archive follows. */
export interface WalPosition {
  currentLsn: string;
  /** The segment file being written. */
  currentSegment: string;
  /** pg_stat_archiver (archive mode). */
  failedCount: number;
  lastFailedWal: string | null;
  lastFailedAt: string | null;
  /** The WAL receiver's slot (stream mode): whether a receiver is attached and what it flushed. */
  slot: { active: boolean; flushedLsn: string | null } | null;
}

/** What `postgres:recovery-window` reports. */
export interface RecoveryWindow {
  /** The earliest point a restore can reach (the oldest usable base backup's end), ISO. */
  from: string | null;
  /** The latest point: the end of the unbroken WAL after the newest base backup (archive time of its last segment). */
  to: string | null;
  fromLsn: string | null;
  toLsn: string | null;
  /** When the newest file reached the archive. */
  lastArchivedAt: string | null;
  /** How far the archive trails the live server, in seconds (0 when it holds everything); null when the server was not reached. */
  lagSeconds: number | null;
  /** Bytes of WAL the live server wrote that the archive does not hold yet; null when not reached. */
  lagBytes: number | null;
  baseBackups: number;
  segments: number;
  gaps: WalGap[];
  /** Failures the archiver reported (archive mode). */
  archiveFailures: { count: number; lastWal: string | null; lastAt: string | null } | null;
}

/**
 * Works out the recoverable window from the base backups and the archive:
 * it ends where the WAL after the newest base backup stops being continuous,
 * and starts at the oldest base backup from which the WAL runs unbroken to
 * that end. Every gap after the oldest base backup is listed.
 */
export function recoveryWindow(input: {
  backups: readonly BaseBackupPoint[];
  files: readonly ArchivedWal[];
  /** The newest `.partial` segment of a WAL receiver: archived as far as it goes. */
  partial?: { name: string; archivedAt: string } | undefined;
  position?: WalPosition | undefined;
  now?: Date;
}): RecoveryWindow {
  const now = input.now ?? new Date();
  const backups = [...input.backups].sort((a, b) => b.stopTime.localeCompare(a.stopTime));
  const segments = input.files.filter((f) => f.segment);
  const newestFile = [...input.files].sort((a, b) => b.archivedAt.localeCompare(a.archivedAt))[0];
  let lastArchivedAt = newestFile?.archivedAt ?? null;
  if (input.partial && (!lastArchivedAt || input.partial.archivedAt > lastArchivedAt)) {
    lastArchivedAt = input.partial.archivedAt;
  }
  const oldest = backups.at(-1);
  const gaps = findGaps(
    input.files,
    oldest ? segmentOfLsn(parseLsn(oldest.startLsn)!) : 0,
  );
  const window: RecoveryWindow = {
    from: null,
    to: null,
    fromLsn: null,
    toLsn: null,
    lastArchivedAt,
    lagSeconds: null,
    lagBytes: null,
    baseBackups: backups.length,
    segments: segments.length,
    gaps,
    archiveFailures: null,
  };
  const newest = backups[0];
  if (newest) {
    const stopSeg = segmentOfLsn(parseLsn(newest.stopLsn)!);
    const chain = walChain(input.files, newest.timeline, stopSeg + 1);
    let endSeg = chain.lastSegno;
    const partialSeg = input.partial ? parseSegmentName(input.partial.name) : undefined;
    if (partialSeg && partialSeg.segno === (endSeg ?? stopSeg) + 1) endSeg = partialSeg.segno;
    if (endSeg !== undefined) {
      const file = partialSeg && endSeg === partialSeg.segno
        ? input.partial
        : segments.filter((f) => f.segment!.segno === endSeg).sort((a, b) =>
          b.segment!.timeline - a.segment!.timeline
        )[0];
      window.to = file?.archivedAt ?? newest.stopTime;
      window.toLsn = formatLsn(BigInt(endSeg + 1) * BigInt(walSegmentBytes) - 1n);
    } else {
      window.to = newest.stopTime;
      window.toLsn = newest.stopLsn;
    }
    let from = newest;
    for (const b of backups.slice(1)) {
      const older = walChain(
        input.files,
        b.timeline,
        segmentOfLsn(parseLsn(b.stopLsn)!) + 1,
        Math.max(chain.lastSegno ?? stopSeg, stopSeg),
      );
      if (older.missing.length) break;
      from = b;
    }
    window.from = from.stopTime;
    window.fromLsn = from.stopLsn;
  }
  const position = input.position;
  if (position) {
    const current = parseLsn(position.currentLsn)!;
    const currentSeg = parseSegmentName(position.currentSegment);
    let archivedUpTo = -1n;
    for (const f of segments) {
      if (!currentSeg || f.segment!.timeline > currentSeg.timeline) continue;
      const end = BigInt(f.segment!.segno + 1) * BigInt(walSegmentBytes);
      if (end > archivedUpTo) archivedUpTo = end;
    }
    if (position.slot?.flushedLsn) {
      const flushed = parseLsn(position.slot.flushedLsn)!;
      if (flushed > archivedUpTo) archivedUpTo = flushed;
    }
    const behind = current > archivedUpTo ? current - archivedUpTo : 0n;
    // a segment boundary with nothing written after it is nothing to lose
    const onBoundary = current % BigInt(walSegmentBytes) === 0n &&
      current - archivedUpTo <= 0n;
    window.lagBytes = Number(behind);
    window.lagSeconds = behind === 0n || onBoundary
      ? 0
      : lastArchivedAt
      ? Math.max(0, Math.round((now.getTime() - Date.parse(lastArchivedAt)) / 1000))
      : null;
    if (position.slot?.active && behind < BigInt(walSegmentBytes)) window.lagSeconds = 0;
    window.archiveFailures = position.slot ? null : {
      count: position.failedCount,
      lastWal: position.lastFailedWal,
      lastAt: position.lastFailedAt,
    };
  }
  return window;
}

/**
 * Reads the live server's WAL position, archiver and receiver slot as the
 * app user over TCP (these functions and views are open to every user);
 * undefined when the server is not reachable.
 */
export async function readWalPosition(
  connection: PostgresConnection,
  slotName: string,
): Promise<WalPosition | undefined> {
  const { default: postgres } = await import("postgres");
  const sql = postgres({
    host: connection.host,
    port: connection.port,
    user: connection.user,
    ...(connection.password === undefined ? {} : { password: connection.password }),
    database: connection.database,
    max: 1,
    connect_timeout: 5,
    onnotice: () => {},
  });
  try {
    const [row] = await sql<{
      lsn: string;
      segment: string;
      failed: string;
      lastFailedWal: string | null;
      lastFailedAt: Date | null;
      slotActive: boolean | null;
      slotFlushed: string | null;
    }[]>`
      select pg_current_wal_lsn()::text as lsn,
        pg_walfile_name(pg_current_wal_lsn()) as segment,
        a.failed_count::text as failed, a.last_failed_wal as "lastFailedWal",
        a.last_failed_time as "lastFailedAt",
        s.active as "slotActive",
        coalesce(s.confirmed_flush_lsn, s.restart_lsn)::text as "slotFlushed"
      from pg_stat_archiver a
      left join pg_replication_slots s on s.slot_name = ${slotName}`;
    if (!row) return undefined;
    return {
      currentLsn: row.lsn,
      currentSegment: row.segment,
      failedCount: Number(row.failed),
      lastFailedWal: row.lastFailedWal,
      lastFailedAt: row.lastFailedAt ? row.lastFailedAt.toISOString() : null,
      slot: row.slotActive === null
        ? null
        : { active: row.slotActive, flushedLsn: row.slotFlushed },
    };
  } catch {
    return undefined;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}
