import { join } from "../lib/posix_path.ts";
import { FailedError, UsageError } from "../lib/errors.ts";
import { formatLsn, parseLsn } from "../lib/postgres/wal_archive.ts";
import { projectRoot } from "../lib/project_paths.ts";

/**
 * Where a point-in-time restore stops, read from `postgres:restore`'s options,
 * written as the recovery server's settings, and checked where replay paused.
 * @module
 */

/** Where a point-in-time restore stops. */
export type RecoveryTarget =
  | { kind: "time"; time: string }
  | { kind: "lsn"; lsn: string }
  | { kind: "latest" };

/** `recovery_target_*` and the restore command of the archive. */
export function recoverySettings(
  archiveDir: string,
  target: RecoveryTarget,
  maxConnections: number,
  /** restore_wal.sh where the server runs (default: this checkout's). */
  script: string = join(projectRoot, "services", "postgres", "restore_wal.sh"),
): Record<string, string> {
  const out: Record<string, string> = {
    restore_command: `'${script}' "%f" "%p" '${archiveDir}'`,
    recovery_target_timeline: "latest",
    // hot standby needs at least the primary's values
    max_connections: String(Math.max(100, maxConnections)),
  };
  if (target.kind === "time") {
    // PostgreSQL reads `2026-11-29 10:14:00.000+00`, not the ISO `T...Z` form
    out.recovery_target_time = target.time.replace("T", " ").replace("Z", "+00");
    out.recovery_target_action = "pause";
  } else if (target.kind === "lsn") {
    out.recovery_target_lsn = target.lsn;
    out.recovery_target_action = "pause";
  }
  return out;
}

/** A paused server is at the target when it did not replay past it. */
export function checkReached(target: RecoveryTarget, lsn: string, lastAt: string | null): void {
  if (target.kind === "time" && lastAt && Date.parse(lastAt) > Date.parse(target.time)) {
    throw new FailedError(
      `recovery replayed a transaction of ${lastAt}, after the target ${target.time}; nothing live was changed`,
    );
  }
  if (target.kind === "lsn") {
    const at = parseLsn(lsn);
    const want = parseLsn(target.lsn)!;
    if (at === undefined || at < want) {
      throw new FailedError(
        `recovery paused at ${
          lsn || "an unknown LSN"
        }, before the target ${target.lsn}; nothing live was changed`,
      );
    }
  }
}

/** The error for a recovery server that stopped, from its log. */
export function recoveryFailure(log: string, target: RecoveryTarget): FailedError {
  const damaged = /restore_wal: (.*)/.exec(log);
  if (damaged) {
    return new FailedError(
      `the WAL archive is damaged: ${
        damaged[1]
      }; the restore was stopped there, nothing live was changed`,
      {
        hint:
          "run ./ops postgres:verify --wal to list every damaged file; restore to a point before it with --to-lsn or --to-time",
      },
    );
  }
  if (/recovery ended before configured recovery target was reached/.test(log)) {
    return new FailedError(
      `the WAL archive ends before ${describeTarget(target)}; nothing live was changed`,
      {
        hint:
          "./ops postgres:recovery-window shows the recoverable window; use --latest for the newest point",
      },
    );
  }
  const lines = log.split("\n").filter((l) => /FATAL|PANIC|ERROR/.test(l)).slice(-3);
  return new FailedError(
    `the recovery server stopped; nothing live was changed:\n    ${
      (lines.length ? lines : log.split("\n").slice(-5)).join("\n    ")
    }`,
  );
}

/** The target in words, for messages. */
export function describeTarget(target: RecoveryTarget): string {
  if (target.kind === "time") return target.time;
  if (target.kind === "lsn") return `LSN ${target.lsn}`;
  return "the end of the WAL archive";
}

/**
 * Reads the target options of `postgres:restore`.
 * @throws {UsageError} for none or several targets, a bad time or LSN.
 */
export function parseRecoveryTarget(
  options: { toTime?: string | undefined; toLsn?: string | undefined; latest?: boolean },
): RecoveryTarget | undefined {
  const given = [options.toTime, options.toLsn, options.latest ? "x" : undefined].filter((v) =>
    v !== undefined
  );
  if (given.length === 0) return undefined;
  if (given.length > 1) {
    throw new UsageError(
      "--to-time, --to-lsn and --latest exclude each other",
      "give one point to restore to",
    );
  }
  if (options.toTime !== undefined) {
    const ms = Date.parse(options.toTime);
    if (!Number.isFinite(ms) || !/\d{4}-\d{2}-\d{2}/.test(options.toTime)) {
      throw new UsageError(
        `--to-time ${JSON.stringify(options.toTime)} is not a time`,
        "give an ISO time such as 2026-11-29T10:14:00Z (without a zone it is the machine's local time)",
      );
    }
    return { kind: "time", time: new Date(ms).toISOString() };
  }
  if (options.toLsn !== undefined) {
    const lsn = parseLsn(options.toLsn);
    if (lsn === undefined) {
      throw new UsageError(
        `--to-lsn ${JSON.stringify(options.toLsn)} is not an LSN`,
        "give it as PostgreSQL prints it, e.g. 0/3000060 (select pg_current_wal_lsn())",
      );
    }
    return { kind: "lsn", lsn: formatLsn(lsn) };
  }
  return { kind: "latest" };
}
