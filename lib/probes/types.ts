import type { WalArchiveReading } from "./wal_archive_note.ts";

/** The outcome of one health probe. */
export interface ProbeResult {
  /** True when the service answered as a healthy one does. */
  healthy: boolean;
  /** Round-trip time of the probe in milliseconds. */
  latencyMs: number;
  /** A short human-readable reason ("accepting connections", "cluster yellow", "connection refused"). */
  detail: string;
  /** How far the WAL archive trails the server (a PostgreSQL probe with point-in-time recovery on). */
  walArchive?: WalArchiveReading;
}

/** A function that checks one service once, within a timeout. */
export type Probe = (signal: AbortSignal) => Promise<ProbeResult>;
