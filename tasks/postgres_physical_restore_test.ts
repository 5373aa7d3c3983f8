import { join } from "../lib/posix_path.ts";
import type { BackupEntry } from "../lib/backup/mod.ts";
import { errorMessage } from "../lib/errors.ts";
import { removeStale } from "../lib/leftovers/mod.ts";
import { postgresAccess } from "../lib/postgres/postgres_access.ts";
import {
  queryRecoveryServer,
  recoveryScratchName,
  type RecoveryServerSpec,
  unpackBaseBackup,
  verifyUnpacked,
} from "../lib/postgres/recovery_server.ts";
import type { RestoreTestReport } from "../lib/postgres/restore_test_report.ts";
import { parseRowCounts, tableRowCountsSql } from "../lib/postgres/table_row_counts.ts";
import { sleep } from "../lib/runtime/proc.ts";
import {
  findRecoveryLeftovers,
  recoveryPlaceFor,
  type RunningRecoveryServer,
} from "../lib/postgres/recovery_place.ts";
import type { TaskContext } from "../lib/task/task_context.ts";
import type { PhysicalBackupDetails } from "./postgres_physical_backup.ts";
import { recoveryFailure } from "./postgres_recovery_target.ts";

export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * A base backup unpacked into `dataDir` (with its WAL), checked with
 * pg_verifybackup and marked for recovery: ready for a recovery server.
 */
export async function unpackForRecovery(
  tools: Parameters<typeof unpackBaseBackup>[0],
  backup: BackupEntry,
  dataDir: string,
  user: Parameters<typeof unpackBaseBackup>[3],
): Promise<void> {
  const details = backup.manifest.details as unknown as PhysicalBackupDetails;
  await unpackBaseBackup(
    tools,
    {
      base: join(backup.path, details.base),
      wal: details.wal ? join(backup.path, details.wal) : null,
    },
    dataDir,
    user,
  );
  await verifyUnpacked(tools, dataDir, join(backup.path, details.backupManifest));
  await writeOwned(join(dataDir, "recovery.signal"), "", user);
}

/** Writes a file (0600) owned by the service user. */
export async function writeOwned(
  path: string,
  text: string,
  user: { uid: number; gid: number } | undefined,
): Promise<void> {
  await Deno.writeTextFile(path, text, { mode: 0o600 });
  if (user) await Deno.chown(path, user.uid, user.gid);
}

/**
 * Restore test of a base backup: unpacked into a scratch folder, checked with
 * pg_verifybackup, started as a scratch server on a free port (socket only)
 * and replayed to the end of the backup (recovery_target immediate, the WAL
 * of the backup itself), then the app database's rows are counted and the
 * server and folder removed. Nothing live is touched.
 */
export async function restoreTestPhysical(
  ctx: TaskContext,
  backup: BackupEntry,
): Promise<RestoreTestReport> {
  const began = performance.now();
  const service = ctx.service("postgres");
  const settings = service.settings as { maxConnections: number; superuser: string };
  const leftovers = await findRecoveryLeftovers(ctx.runtime, service);
  await removeStale(leftovers);
  const scratch = join(service.stateDir, await recoveryScratchName());
  const dataDir = join(scratch, "data");
  const place = await recoveryPlaceFor(ctx.runtime, service, ctx.environment.serviceUser, {
    scratch,
    backupPath: backup.path,
    signal: ctx.signal,
  });
  const user = place.user;
  await Deno.mkdir(scratch, { recursive: true, mode: 0o700 });
  if (user) await Deno.chown(scratch, user.uid, user.gid);
  const spec: RecoveryServerSpec = {
    dataDir,
    socketDir: place.socketDir(dataDir),
    port: freePort(),
    listen: "",
    logFile: join(scratch, "recovery.log"),
    superuser: settings.superuser,
    user,
    settings: {
      // the backup's own WAL is enough: "not in the archive" for everything
      restore_command: "false",
      recovery_target: "immediate",
      recovery_target_action: "pause",
      max_connections: String(Math.max(100, settings.maxConnections)),
    },
  };
  let server: RunningRecoveryServer | undefined;
  const problems: string[] = [];
  let tables: Record<string, number> = {};
  try {
    ctx.output.info(`unpacking base backup ${backup.manifest.id} into ${scratch}...`);
    await unpackForRecovery(place.tools, backup, dataDir, user);
    server = await place.start(spec);
    while (true) {
      const gone = await server.gone();
      if (gone !== undefined) throw recoveryFailure(gone, { kind: "latest" });
      const rows = await queryRecoveryServer(
        server.tools,
        spec,
        "select pg_is_in_recovery() and pg_get_wal_replay_pause_state() = 'paused'",
      ).catch(() => undefined);
      if (rows?.[0]?.[0] === "t") break;
      await sleep(200);
    }
    tables = parseRowCounts(
      await queryRecoveryServer(
        server.tools,
        spec,
        tableRowCountsSql,
        postgresAccess(service).database,
      ) ??
        [],
    );
  } catch (error) {
    problems.push(`restore failed: ${errorMessage(error)}`);
  } finally {
    if (server !== undefined) await server.stop(10_000).catch(() => {});
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
  }
  return {
    ok: problems.length === 0,
    database: scratch,
    tables: Object.keys(tables).length,
    rows: Object.values(tables).reduce((a, b) => a + b, 0),
    problems,
    durationMs: Math.round(performance.now() - began),
  };
}
