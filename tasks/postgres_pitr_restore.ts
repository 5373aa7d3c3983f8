import { join } from "../lib/posix_path.ts";
import { type BackupEntry, readBackup, withBackupLock } from "../lib/backup/mod.ts";
import { errorMessage, FailedError, UsageError } from "../lib/errors.ts";
import { removeStale } from "../lib/leftovers/mod.ts";
import { PostgresGoneError } from "../lib/postgres/postgres_gone.ts";
import {
  queryRecoveryServer,
  recoveryScratchName,
  type RecoveryServerSpec,
} from "../lib/postgres/recovery_server.ts";
import {
  findRecoveryLeftovers,
  recoveryPlaceFor,
  type RunningRecoveryServer,
} from "../lib/postgres/recovery_place.ts";
import { superuserQuery } from "../lib/postgres/superuser_psql.ts";
import {
  formatLsn,
  listArchivedWal,
  parseLsn,
  segmentOfLsn,
  walArchiveDir,
  walChain,
} from "../lib/postgres/wal_archive.ts";
import { sleep } from "../lib/runtime/proc.ts";
import type { TaskContext } from "../lib/task/task_context.ts";
import { hashFile } from "../lib/backup/checksum.ts";
import { listPhysicalBackups, type PhysicalBackupDetails } from "./postgres_physical_backup.ts";
import { freePort, unpackForRecovery, writeOwned } from "./postgres_physical_restore_test.ts";
import {
  checkReached,
  describeTarget,
  recoveryFailure,
  recoverySettings,
  type RecoveryTarget,
} from "./postgres_recovery_target.ts";

/** Options of {@link restorePostgresToPoint}. */
export interface PitrRestoreOptions {
  target: RecoveryTarget;
  /** Base backup id (default: the newest one that ends before the target). */
  id?: string | undefined;
  /** Restore beside the live server: a new server on this port with its data in `targetDir`. */
  port?: number | undefined;
  targetDir?: string | undefined;
}

/** What a point-in-time restore returns. */
export interface PitrRestoreResult {
  service: "postgres";
  /** `in-place`: the live data folder was swapped; `beside`: a separate server was left running. */
  mode: "in-place" | "beside";
  baseBackupId: string;
  target: RecoveryTarget;
  /** Where replay stopped and the last transaction it replayed. */
  replayedToLsn: string;
  lastTransactionAt: string | null;
  /** The timeline the restored server continues on. */
  timeline: number;
  dataDir: string;
  /** The live data folder as it was before (in-place), kept until pruned. */
  safetyCopy: string | null;
  port: number;
  /** The server left running (beside), else null. */
  pid: number | null;
  /** The container of the server left running (beside, compose), else null. */
  container: string | null;
  durationMs: number;
}

/**
 * Restores the server to a point in time: a base backup (checksums first,
 * then pg_verifybackup once unpacked) replayed with the archived WAL, whose
 * restore command refuses a segment that does not match its sha256, up to a
 * time, an LSN or the end of the archive. The recovery runs in a new data
 * folder beside the live one; only when the server came up at the target is
 * the live folder swapped (the old one kept as `data.before-restore-<time>`),
 * or, with `port` and `targetDir`, the recovered server is left running there
 * and the live one is not touched. On compose the programs and the recovering
 * server run in one-off containers of the service's own image, so the host
 * needs no PostgreSQL.
 * @throws {UsageError} bad options, no usable base backup, a gap the target needs; {FailedError} a damaged backup or WAL (nothing live changed); {BusyError} lock held.
 */
export async function restorePostgresToPoint(
  ctx: TaskContext,
  options: PitrRestoreOptions,
): Promise<PitrRestoreResult> {
  const began = performance.now();
  const service = ctx.service("postgres");
  const settings = service.settings as {
    pitr?: { mode: string };
    maxConnections: number;
    superuser: string;
  };
  if (ctx.runtime.kind !== "native" && !ctx.runtime.oneOff) {
    throw new UsageError(
      `a point-in-time restore needs the native or compose runtime (this environment runs ${ctx.runtime.kind})`,
      "restore the base backup and WAL from backups/<env>/ on a native or compose environment",
    );
  }
  const beside = options.port !== undefined || options.targetDir !== undefined;
  if (beside && (options.port === undefined || options.targetDir === undefined)) {
    throw new UsageError(
      "--port and --target-dir go together",
      "give both to restore beside the live server, or neither to replace its data",
    );
  }
  if (beside) await assertEmptyFolder(options.targetDir!);
  const archiveDir = walArchiveDir(ctx.environment.backupDir);
  // archive mode: push the WAL written so far; stream mode has it already (NAME.partial)
  if (settings.pitr?.mode === "archive") await pushCurrentWal(ctx);
  const base = await chooseBaseBackup(ctx, options);
  const details = base.manifest.details as unknown as PhysicalBackupDetails;
  await checkWalChain(archiveDir, base, details, options.target);
  // the catalog's sha256s are checked while unpacking (one read); pg's own manifest first
  const expected = new Map(base.manifest.files.map((f) => [join(base.path, f.path), f.sha256]));
  await assertFileIntact(join(base.path, details.backupManifest), expected);
  const what = describeTarget(options.target);
  if (!beside) {
    await ctx.confirm(
      `replace the data of the whole postgres server with base backup ${base.manifest.id} replayed to ${what} (the current data folder is kept beside it)`,
    );
  }
  return await withBackupLock(
    ctx.environment.backupDir,
    "postgres",
    "postgres:restore",
    async () => {
      const leftovers = await findRecoveryLeftovers(ctx.runtime, service);
      const removed = await removeStale(leftovers);
      if (removed.length) {
        ctx.output.info(`removed scratch folders of interrupted restores: ${removed.join(", ")}`);
      }
      const scratch = beside
        ? options.targetDir!
        : join(service.stateDir, await recoveryScratchName());
      const dataDir = beside ? scratch : join(scratch, "data");
      const port = beside ? options.port! : freePort();
      const place = await recoveryPlaceFor(ctx.runtime, service, ctx.environment.serviceUser, {
        scratch,
        archiveDir,
        backupPath: base.path,
        publishPort: beside ? port : undefined,
        signal: ctx.signal,
      });
      const user = place.user;
      if (!beside) {
        await Deno.mkdir(scratch, { mode: 0o700 });
        if (user) await Deno.chown(scratch, user.uid, user.gid);
      }
      const spec: RecoveryServerSpec = {
        dataDir,
        socketDir: place.socketDir(dataDir),
        port,
        listen: beside ? place.listenBeside : "",
        logFile: beside ? join(dataDir, "recovery.log") : join(scratch, "recovery.log"),
        superuser: settings.superuser,
        user,
        settings: recoverySettings(
          archiveDir,
          options.target,
          settings.maxConnections,
          place.restoreScript,
        ),
      };
      let server: RunningRecoveryServer | undefined;
      try {
        ctx.output.info(`unpacking base backup ${base.manifest.id}...`);
        await unpackForRecovery(place.tools, base, dataDir, user);
        if (beside) assertPortFree(spec.port);
        ctx.output.info(`replaying archived WAL to ${what}...`);
        server = await place.start(spec);
        const reached = await waitRecovered(ctx, server, spec, options.target);
        const common = {
          service: "postgres" as const,
          baseBackupId: base.manifest.id,
          target: options.target,
          ...reached,
          port: spec.port,
        };
        if (beside) {
          ctx.output.info(
            `the restored server runs on port ${spec.port} (pid ${server.pid}); stop it with: ${server.stopCommand}`,
          );
          return {
            ...common,
            mode: "beside" as const,
            dataDir,
            safetyCopy: null,
            pid: server.pid,
            container: server.container,
            durationMs: Math.round(performance.now() - began),
          };
        }
        await server.stop();
        server = undefined;
        const safetyCopy = await swapDataFolders(ctx, dataDir, reached.timeline, user);
        await Deno.remove(scratch, { recursive: true }).catch(() => {});
        return {
          ...common,
          mode: "in-place" as const,
          dataDir: join(service.stateDir, "data"),
          safetyCopy,
          pid: null,
          container: null,
          durationMs: Math.round(performance.now() - began),
        };
      } catch (error) {
        if (server !== undefined) await server.stop(10_000).catch(() => {});
        if (!beside) await Deno.remove(scratch, { recursive: true }).catch(() => {});
        else await emptyFolder(scratch).catch(() => {});
        throw error;
      }
    },
  );
}

/** @throws {FailedError} when a file of the catalog does not match its recorded sha256. */
async function assertFileIntact(
  path: string,
  expected: ReadonlyMap<string, string>,
): Promise<void> {
  const want = expected.get(path);
  const found = (await hashFile(path)).sha256;
  if (found !== want) {
    throw new FailedError(
      `${path} does not match its recorded sha256 (recorded ${want}, found ${found}): the backup is damaged, nothing was changed`,
      { hint: "pick another base backup: ./ops postgres:backups" },
    );
  }
}

/**
 * Waits until the server reached the target (paused there), checks where it
 * stopped, then ends recovery (a new timeline) and waits until it accepts
 * writes. With `latest` it ends recovery itself at the end of the archive.
 * @throws {FailedError} when the server stops: a damaged segment, a target past the archive.
 */
async function waitRecovered(
  ctx: TaskContext,
  server: RunningRecoveryServer,
  spec: RecoveryServerSpec,
  target: RecoveryTarget,
): Promise<{ replayedToLsn: string; lastTransactionAt: string | null; timeline: number }> {
  let replayedToLsn = "";
  let lastTransactionAt: string | null = null;
  let resumed = false;
  while (true) {
    if (ctx.signal.aborted) throw new FailedError("the restore was interrupted");
    const gone = await server.gone();
    if (gone !== undefined) throw recoveryFailure(gone, target);
    const rows = await queryRecoveryServer(
      server.tools,
      spec,
      `select pg_is_in_recovery(),
        case when pg_is_in_recovery() then pg_get_wal_replay_pause_state() else '' end,
        coalesce(pg_last_wal_replay_lsn()::text, ''),
        coalesce(to_char(pg_last_xact_replay_timestamp() at time zone 'UTC',
          'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), '')`,
    ).catch(() => undefined);
    const [inRecovery, pause, lsn, lastAt] = rows?.[0] ?? [];
    if (rows !== undefined && inRecovery === "t") {
      if (lsn) replayedToLsn = lsn;
      if (lastAt) lastTransactionAt = lastAt;
      if (pause === "paused" && !resumed) {
        checkReached(target, replayedToLsn, lastTransactionAt);
        await queryRecoveryServer(server.tools, spec, "select pg_wal_replay_resume()");
        resumed = true;
      }
    } else if (rows !== undefined && inRecovery === "f") {
      const [[timeline = "0", lsnNow = ""] = []] = await queryRecoveryServer(
        server.tools,
        spec,
        "select timeline_id, pg_current_wal_lsn() from pg_control_checkpoint()",
      ) ?? [];
      return {
        replayedToLsn: replayedToLsn || lsnNow,
        lastTransactionAt,
        timeline: Number(timeline),
      };
    }
    await sleep(200);
  }
}

/**
 * Stops the live server, puts the recovered data folder in its place (the
 * old one renamed `data.before-restore-<time>`), marks the new timeline's
 * history file for archiving and starts the server. When it does not come
 * up, the old folder is put back and started again.
 */
async function swapDataFolders(
  ctx: TaskContext,
  recovered: string,
  timeline: number,
  user: { uid: number; gid: number } | undefined,
): Promise<string | null> {
  const service = ctx.service("postgres");
  const live = join(service.stateDir, "data");
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const safety = join(service.stateDir, `data.before-restore-${stamp}`);
  ctx.output.info("stopping postgres to swap in the restored data folder...");
  await ctx.runtime.stop(service);
  let hadLive = true;
  try {
    await Deno.rename(live, safety);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    hadLive = false;
  }
  await Deno.rename(recovered, live);
  await markHistoryForArchive(live, user);
  const mode = (service.settings as { pitr?: { mode: string } }).pitr?.mode;
  if (mode === "stream") {
    await handOverToReceiver(live, walArchiveDir(ctx.environment.backupDir), timeline, user);
  }
  try {
    await ctx.runtime.start(service, { signal: ctx.signal });
  } catch (error) {
    await ctx.runtime.stop(service).catch(() => {});
    if (hadLive) {
      await Deno.rename(live, `${safety}.failed`).catch(() => {});
      await Deno.rename(safety, live).catch(() => {});
      await ctx.runtime.start(service).catch(() => {});
    }
    throw new FailedError(
      `the restored server did not start, the previous data folder was put back: ${
        errorMessage(error)
      }`,
    );
  }
  return hadLive ? safety : null;
}

/**
 * Stream mode: pg_receivewal resumes after the newest segment it finds in
 * the archive, on that segment's timeline, which the restored server no
 * longer serves. So the new timeline's history file goes into the archive
 * (with its sha256), the new timeline's first segment is put there as
 * `NAME.partial` (pg_receivewal continues it), and the partial segments of
 * earlier timelines are renamed `NAME.partial.ended` (restore_wal.sh still
 * finds them for a restore on those timelines).
 */
async function handOverToReceiver(
  dataDir: string,
  archiveDir: string,
  timeline: number,
  user: { uid: number; gid: number } | undefined,
): Promise<void> {
  const wal = join(dataDir, "pg_wal");
  const hex = timeline.toString(16).toUpperCase().padStart(8, "0");
  const names = (await Array.fromAsync(Deno.readDir(wal))).map((e) => e.name).sort();
  const own = async (path: string) => {
    if (user) await Deno.chown(path, user.uid, user.gid);
  };
  for (const name of names.filter((n) => n.endsWith(".history"))) {
    const target = join(archiveDir, name);
    if (await Deno.stat(target).then(() => true, () => false)) continue;
    const bytes = await Deno.readFile(join(wal, name));
    const digest = Array.from(
      new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
    await writeOwned(`${target}.sha256`, `${digest}  ${name}\n`, user);
    await Deno.writeFile(target, bytes, { mode: 0o600 });
    await own(target);
  }
  for await (const entry of Deno.readDir(archiveDir)) {
    const m = /^([0-9A-F]{8})[0-9A-F]{16}\.partial$/.exec(entry.name);
    if (m && parseInt(m[1]!, 16) < timeline) {
      await Deno.rename(join(archiveDir, entry.name), join(archiveDir, `${entry.name}.ended`));
    }
  }
  const first = names.find((n) => /^[0-9A-F]{24}$/.test(n) && n.startsWith(hex));
  if (first) {
    const target = join(archiveDir, `${first}.partial`);
    await Deno.copyFile(join(wal, first), target);
    await own(target);
  }
}

/** History files the recovery wrote while not archiving: archive them once the server runs. */
async function markHistoryForArchive(
  dataDir: string,
  user: { uid: number; gid: number } | undefined,
): Promise<void> {
  const wal = join(dataDir, "pg_wal");
  for await (const entry of Deno.readDir(wal)) {
    if (!entry.isFile || !entry.name.endsWith(".history")) continue;
    const status = join(wal, "archive_status", entry.name);
    const done = await Deno.stat(`${status}.done`).then(() => true, () => false);
    if (!done) await writeOwned(`${status}.ready`, "", user);
  }
}

/**
 * Pushes the WAL written so far into the archive (pg_switch_wal, then waits
 * up to 30 s for the archiver), so `--latest` means the last commit. A live
 * server that is not there (its data folder is gone) is skipped.
 */
async function pushCurrentWal(ctx: TaskContext): Promise<void> {
  const service = ctx.service("postgres");
  const sql = (text: string) => superuserQuery(ctx.runtime, service, "postgres", text);
  try {
    const [[segment = ""] = []] = await sql(
      "select pg_walfile_name(pg_switch_wal() - 1) where pg_current_wal_lsn() is not null",
    );
    if (!segment) return;
    for (let i = 0; i < 150; i++) {
      const [[last = ""] = []] = await sql(
        "select coalesce(last_archived_wal, '') from pg_stat_archiver",
      );
      if (last.slice(8) >= segment.slice(8)) return;
      await sleep(200);
    }
    ctx.output.warn(`the archiver has not archived ${segment} within 30 s`);
  } catch (error) {
    if (!(error instanceof PostgresGoneError)) throw error;
  }
}

/**
 * The base backup to start from: the one given, or the newest physical one
 * that was consistent before the target.
 * @throws {UsageError} when none fits.
 */
async function chooseBaseBackup(
  ctx: TaskContext,
  options: PitrRestoreOptions,
): Promise<BackupEntry> {
  const target = options.target;
  const fits = (b: BackupEntry) => {
    const d = b.manifest.details as unknown as PhysicalBackupDetails;
    if (target.kind === "time") return Date.parse(d.stopTime) <= Date.parse(target.time);
    if (target.kind === "lsn") return parseLsn(d.stopLsn)! <= parseLsn(target.lsn)!;
    return true;
  };
  if (options.id !== undefined) {
    const chosen = await readBackup(ctx.environment.backupDir, "postgres", options.id);
    if ((chosen.manifest.details as { kind?: string }).kind !== "physical") {
      throw new UsageError(
        `postgres backup ${chosen.manifest.id} is a pg_dump, not a base backup`,
        "a point-in-time restore starts from ./ops postgres:backup --physical",
      );
    }
    if (!fits(chosen)) {
      throw new UsageError(
        `base backup ${chosen.manifest.id} ends after ${describeTarget(target)}`,
        "pick an older base backup, or leave the id out to take the newest that fits",
      );
    }
    return chosen;
  }
  const all = await listPhysicalBackups(ctx.environment.backupDir);
  const chosen = all.find(fits);
  if (!chosen) {
    throw new UsageError(
      all.length
        ? `no base backup ends before ${describeTarget(target)} (the oldest ends at ${
          (all.at(-1)!.manifest.details as unknown as PhysicalBackupDetails).stopTime
        })`
        : "there is no base backup yet",
      "./ops postgres:backup --physical takes one; ./ops postgres:recovery-window shows what can be restored",
    );
  }
  return chosen;
}

/**
 * Refuses a target the archive cannot reach without a gap: recovery would
 * stop at the gap (and with `--latest` silently call that the end).
 */
async function checkWalChain(
  archiveDir: string,
  base: BackupEntry,
  details: PhysicalBackupDetails,
  target: RecoveryTarget,
): Promise<void> {
  const files = await listArchivedWal(archiveDir);
  const from = segmentOfLsn(parseLsn(details.stopLsn)!) + 1;
  const until = target.kind === "lsn" ? segmentOfLsn(parseLsn(target.lsn)!) : undefined;
  const chain = walChain(files, details.timeline, from, until);
  if (chain.missing.length === 0 || target.kind === "time") return;
  const first = chain.missing[0]!;
  throw new UsageError(
    `the WAL archive has a gap after base backup ${base.manifest.id}: ${chain.missing.length} segment(s) missing, the first ${first}${
      target.kind === "latest" ? ", so a restore would stop there without saying so" : ""
    }`,
    chain.lastSegno !== undefined
      ? `restore up to the gap with --to-lsn ${
        formatLsn(BigInt(chain.lastSegno + 1) * 16n * 1024n * 1024n - 1n)
      }, or take a new base backup (./ops postgres:backup --physical)`
      : "take a new base backup: ./ops postgres:backup --physical",
  );
}

async function assertEmptyFolder(dir: string): Promise<void> {
  try {
    for await (const _ of Deno.readDir(dir)) {
      throw new UsageError(
        `--target-dir ${dir} is not empty`,
        "give a new or empty folder for the restored server's data",
      );
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  await Deno.remove(dir);
}

async function emptyFolder(dir: string): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    await Deno.remove(join(dir, entry.name), { recursive: true });
  }
}

function assertPortFree(port: number): void {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
  } catch {
    throw new UsageError(
      `port ${port} is taken`,
      "give --port a free port for the restored server",
    );
  }
}
