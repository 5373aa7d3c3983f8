import { join } from "../lib/posix_path.ts";
import type { PruneResult } from "../lib/backup/mod.ts";
import { formatBytes } from "../lib/output/format_bytes.ts";
import type { Output } from "../lib/output/output.ts";
import { createProgress } from "../lib/output/progress.ts";
import { postgresAccess } from "../lib/postgres/postgres_access.ts";
import {
  type BaseBackupPoint,
  readWalPosition,
  type RecoveryWindow,
  recoveryWindow,
} from "../lib/postgres/recovery_window.ts";
import {
  listArchivedWal,
  parseLsn,
  pruneWal,
  segmentOfLsn,
  verifyWalArchive,
  walArchiveDir,
  type WalPruneResult,
  walReceiverName,
  type WalVerifyReport,
} from "../lib/postgres/wal_archive.ts";
import { type AnyTask, defineTask } from "../lib/task/define_task.ts";
import type { TaskContext } from "../lib/task/task_context.ts";
import { renderPrune, retentionPruneTask } from "./backup_catalog.ts";
import { listPhysicalBackups, type PhysicalBackupDetails } from "./postgres_physical_backup.ts";

/** What `postgres:recovery-window` returns. */
export interface RecoveryWindowResult extends RecoveryWindow {
  mode: string;
  archiveDir: string;
}

/** The base backups as the window sees them. */
async function basePoints(backupDir: string): Promise<BaseBackupPoint[]> {
  return (await listPhysicalBackups(backupDir)).map((b) => {
    const d = b.manifest.details as unknown as PhysicalBackupDetails;
    return {
      id: b.manifest.id,
      timeline: d.timeline,
      startLsn: d.startLsn,
      stopLsn: d.stopLsn,
      stopTime: d.stopTime,
    };
  });
}

/**
 * The recoverable window: from the oldest base backup the archived WAL runs
 * unbroken from, to the end of the WAL after the newest one, with every gap,
 * and how far the archive trails the live server (when it is reachable).
 */
export async function postgresRecoveryWindow(ctx: TaskContext): Promise<RecoveryWindowResult> {
  const service = ctx.service("postgres");
  const archiveDir = walArchiveDir(ctx.environment.backupDir);
  const [backups, files, partial, position] = await Promise.all([
    basePoints(ctx.environment.backupDir),
    listArchivedWal(archiveDir),
    newestPartial(archiveDir),
    readWalPosition(postgresAccess(service).app, walReceiverName),
  ]);
  const mode = (service.settings as { pitr?: { mode: string } }).pitr?.mode ?? "off";
  return {
    mode,
    archiveDir,
    ...recoveryWindow({ backups, files, partial, position }),
  };
}

/** The segment a WAL receiver is writing (`NAME.partial`), when there is one. */
async function newestPartial(
  archiveDir: string,
): Promise<{ name: string; archivedAt: string } | undefined> {
  let newest: { name: string; archivedAt: string } | undefined;
  try {
    for await (const entry of Deno.readDir(archiveDir)) {
      if (!entry.isFile || !entry.name.endsWith(".partial")) continue;
      const info = await Deno.stat(join(archiveDir, entry.name)).catch(() => undefined);
      const name = entry.name.slice(0, -".partial".length);
      if (info && (!newest || name > newest.name)) {
        newest = { name, archivedAt: (info.mtime ?? new Date(0)).toISOString() };
      }
    }
  } catch {
    // no archive yet
  }
  return newest;
}

function renderWindow(result: RecoveryWindowResult, output: Output): void {
  if (result.baseBackups === 0) {
    output.line("no base backup yet: ./ops postgres:backup --physical takes one");
  } else {
    output.line(`recoverable from ${result.from} (${result.fromLsn})`);
    output.line(`            to   ${result.to} (${result.toLsn})`);
  }
  output.line(
    `${result.baseBackups} base backup(s), ${result.segments} archived segment(s) in ${result.archiveDir} (mode ${result.mode})`,
  );
  output.line(
    `last archived ${result.lastArchivedAt ?? "never"}; lag ${
      result.lagSeconds === null ? "unknown (server not reached)" : `${result.lagSeconds} s`
    }${result.lagBytes ? `, ${formatBytes(result.lagBytes)} not archived yet` : ""}`,
  );
  if (result.archiveFailures?.count) {
    output.warn(
      `the archiver failed ${result.archiveFailures.count} time(s), last on ${result.archiveFailures.lastWal} at ${result.archiveFailures.lastAt}: see ./ops postgres:logs`,
    );
  }
  for (const g of result.gaps) {
    output.warn(
      `gap: ${g.segments} segment(s) missing on timeline ${g.timeline} from ${g.from} to ${g.to} (LSN ${g.fromLsn}): no restore can pass it`,
    );
  }
}

/** `postgres:prune`'s result: the backups, the WAL only they needed, old safety copies. */
export interface PostgresPruneResult extends PruneResult {
  wal: WalPruneResult;
  /** Data folders point-in-time restores set aside (`data.before-restore-*`) removed: all but the newest. */
  safetyCopies: { kept: string | null; removed: string[] };
}

/** The data folders earlier in-place restores kept, newest last. */
async function safetyCopies(stateDir: string): Promise<string[]> {
  try {
    return (await Array.fromAsync(Deno.readDir(stateDir)))
      .filter((e) => e.isDirectory && /^data\.before-restore-\d{8}T\d{6}Z$/.test(e.name))
      .map((e) => e.name).sort();
  } catch {
    return [];
  }
}

/**
 * After the backups are pruned: the archived WAL before the oldest kept base
 * backup's start goes too (never any a kept backup needs; nothing when no
 * base backup is kept).
 */
async function pruneWalAfter(ctx: TaskContext, result: PruneResult): Promise<PostgresPruneResult> {
  const removedIds = new Set(result.remove.map((r) => r.id));
  const kept = (await listPhysicalBackups(ctx.environment.backupDir)).filter((b) =>
    !removedIds.has(b.manifest.id)
  );
  const starts = kept.map((b) =>
    segmentOfLsn(parseLsn((b.manifest.details as unknown as PhysicalBackupDetails).startLsn)!)
  );
  const wal = await pruneWal(
    walArchiveDir(ctx.environment.backupDir),
    starts.length ? Math.min(...starts) : undefined,
    { dryRun: result.dryRun },
  );
  const stateDir = ctx.service("postgres").stateDir;
  const copies = await safetyCopies(stateDir);
  const removed = copies.slice(0, -1);
  if (!result.dryRun) {
    for (const name of removed) await Deno.remove(join(stateDir, name), { recursive: true });
  }
  return { ...result, wal, safetyCopies: { kept: copies.at(-1) ?? null, removed } };
}

function renderPostgresPrune(result: PruneResult, output: Output): void {
  renderPrune(result, output);
  const copies = (result as PostgresPruneResult).safetyCopies;
  for (const name of copies?.removed ?? []) {
    output.line(
      `${result.dryRun ? "would remove" : "removed"}  ${name} (data folder set aside by a restore)`,
    );
  }
  if (copies?.kept) {
    output.line(`keep    ${copies.kept} (the newest data folder set aside by a restore)`);
  }
  const wal = (result as PostgresPruneResult).wal;
  if (!wal) return;
  if (wal.keptFrom === null) {
    output.line("WAL archive kept whole: no base backup is kept");
  } else {
    output.line(
      `WAL before ${wal.keptFrom} (needed by no kept base backup): ${wal.files.length} file(s), ${
        formatBytes(wal.bytes)
      } ${result.dryRun ? "would be removed" : "removed"}`,
    );
  }
}

/** Re-reads every archived WAL file against its sha256 and looks for gaps. */
export async function verifyWal(ctx: TaskContext): Promise<WalVerifyReport & { path: string }> {
  const archiveDir = walArchiveDir(ctx.environment.backupDir);
  const progress = createProgress(ctx.output, { label: "verifying the WAL archive" });
  try {
    return {
      ...(await verifyWalArchive(archiveDir, (n) => progress.update(n))),
      path: archiveDir,
    };
  } finally {
    progress.done();
  }
}

/** Prints a WAL verification. */
export function renderWalVerify(result: WalVerifyReport & { path: string }, output: Output): void {
  for (const p of result.problems) output.line(`${output.style("DAMAGED", "red")}  ${p}`);
  output.line(
    `${
      result.ok ? output.style("ok", "green") : output.style("FAILED", "red")
    }  WAL archive ${result.path}: ${result.files} file(s), ${formatBytes(result.bytes)} checked${
      result.problems.length ? `, ${result.problems.length} problem(s)` : ""
    }`,
  );
}

/** `postgres:recovery-window` and `postgres:prune` (backups and the WAL only they needed). */
export function postgresPitrTasks(): AnyTask[] {
  const window = defineTask({
    id: "postgres:recovery-window",
    summary: "Show the span a point-in-time restore can reach, gaps in the WAL archive and its lag",
    service: "postgres",
    action: "recovery-window",
    permissions: "observe",
    snapshotSuffices: true,
    options: {},
    run: (ctx) => postgresRecoveryWindow(ctx),
    render: renderWindow,
    exitCode: (result) => (result.gaps.length ? 1 : 0),
  });
  const prune = retentionPruneTask({
    id: "postgres:prune",
    summary:
      "Remove old postgres backups by retention, the archived WAL no kept base backup needs, and all but the newest data folder a restore set aside",
    service: "postgres",
    folder: "postgres",
    noun: "postgres backup(s), the WAL only they need and older data folders set aside by restores",
    after: pruneWalAfter,
    render: renderPostgresPrune,
  });
  return [window, prune];
}

/**
 * `health --max-wal-lag`: postgres counts as unhealthy when its WAL archive
 * trails it by more than `maxLagSeconds` (or the lag cannot be told while it
 * runs), with the lag in its detail.
 */
export async function walLagVerdict<
  T extends { services: { name: string; healthy: boolean; detail: string }[] },
>(ctx: TaskContext, status: T, maxLagSeconds: number): Promise<T> {
  if (!status.services.some((s) => s.name === "postgres")) return status;
  const window = await postgresRecoveryWindow(ctx);
  const lag = window.lagSeconds;
  const ok = lag !== null && lag <= maxLagSeconds && window.mode !== "off";
  const note = window.mode === "off"
    ? "point-in-time recovery is off (services.postgres.pitr.mode)"
    : lag === null
    ? "WAL archive lag unknown"
    : `WAL archive lag ${lag} s (max ${maxLagSeconds} s)`;
  return {
    ...status,
    services: status.services.map((s) =>
      s.name === "postgres" ? { ...s, healthy: s.healthy && ok, detail: `${s.detail}; ${note}` } : s
    ),
  };
}
