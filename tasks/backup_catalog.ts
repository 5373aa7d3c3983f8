import {
  listBackups,
  pruneBackups,
  type PruneResult,
  readBackup,
  verifyBackup,
  type VerifyReport,
  withBackupLock,
} from "../lib/backup/mod.ts";
import { formatBytes } from "../lib/output/format_bytes.ts";
import type { Output } from "../lib/output/output.ts";
import { createProgress } from "../lib/output/progress.ts";
import { renderTable } from "../lib/output/table.ts";
import { type AnyTask, defineTask } from "../lib/task/define_task.ts";
import type { TaskContext } from "../lib/task/task_context.ts";

/** One row of `<svc>:backups`. */
export interface BackupListItem {
  id: string;
  label: string | null;
  startedAt: string;
  finishedAt: string;
  totalBytes: number;
  files: number;
  path: string;
  serverVersion: string | null;
  options: Record<string, unknown>;
}

/** The result of `<svc>:backups`. */
export interface BackupList {
  service: string;
  backupDir: string;
  backups: BackupListItem[];
}

/** Lists the backups of a service, newest first. */
export async function listServiceBackups(ctx: TaskContext, service: string): Promise<BackupList> {
  ctx.service(service);
  const backups = await listBackups(ctx.environment.backupDir, service);
  return {
    service,
    backupDir: ctx.environment.backupDir,
    backups: backups.map(({ manifest, path }) => ({
      id: manifest.id,
      label: manifest.label,
      startedAt: manifest.startedAt,
      finishedAt: manifest.finishedAt,
      totalBytes: manifest.totalBytes,
      files: manifest.files.length,
      path,
      serverVersion: manifest.serverVersion,
      options: manifest.options,
    })),
  };
}

/** Re-checks every checksum of one backup, with progress. */
export async function verifyServiceBackup(
  ctx: TaskContext,
  service: string,
  id: string,
): Promise<VerifyReport & { path: string }> {
  ctx.service(service);
  const backup = await readBackup(ctx.environment.backupDir, service, id);
  const progress = createProgress(ctx.output, {
    label: `verifying ${service} ${backup.manifest.id}`,
    total: backup.manifest.totalBytes,
  });
  try {
    const report = await verifyBackup(backup, (n) => progress.update(n));
    return { ...report, path: backup.path };
  } finally {
    progress.done();
  }
}

/** Prints a verify report for a person. */
export function renderVerify(report: VerifyReport, output: Output): void {
  if (report.ok) {
    output.line(
      `${
        output.style("ok", "green")
      }  ${report.service} backup ${report.id}: ${report.files} file(s), ${
        formatBytes(report.bytes)
      }, every checksum matches`,
    );
    return;
  }
  output.line(
    `${
      output.style("DAMAGED", "red")
    }  ${report.service} backup ${report.id}: ${report.problems.length} problem(s)`,
  );
  for (const problem of report.problems) output.line(`  ${problem}`);
}

function renderList(list: BackupList, output: Output): void {
  if (list.backups.length === 0) {
    output.line(`no ${list.service} backups in ${list.backupDir}`);
    return;
  }
  output.line(renderTable(
    ["ID", "STARTED", "SIZE", "FILES", "LABEL"],
    list.backups.map((b) => [
      b.id,
      b.startedAt.replace("T", " ").replace(/\.\d+Z$/, "Z"),
      formatBytes(b.totalBytes),
      String(b.files),
      b.label ?? "",
    ]),
  ));
}

/** Prints a retention result: kept and removed backups, the bytes freed. */
export function renderPrune(result: PruneResult, output: Output): void {
  for (const k of result.keep) output.line(`keep    ${k.id}  (${k.reasons.join(", ")})`);
  for (const r of result.remove) {
    output.line(`${result.dryRun ? "would remove" : "removed"}  ${r.id}`);
  }
  if (!result.dryRun) {
    output.line(
      `${result.removed.length} backup(s) removed, ${formatBytes(result.freedBytes)} freed`,
    );
  }
}

/**
 * A retention task for one catalog folder (a service, or `sets`):
 * `--keep-last/--keep-daily/--keep-weekly`, `--dry-run`, confirmation before
 * removing, under the folder's lock.
 */
export function retentionPruneTask(spec: {
  id: string;
  summary: string;
  service?: string;
  folder: string;
  noun: string;
  /**
   * What the folder's owner prunes besides its backups (postgres: the WAL no
   * kept base backup needs), in the same dry run or under the same lock.
   */
  after?: (ctx: TaskContext, result: PruneResult) => Promise<PruneResult>;
  render?: (result: PruneResult, output: Output) => void;
}): AnyTask {
  return defineTask({
    id: spec.id,
    summary: spec.summary,
    ...(spec.service ? { service: spec.service } : {}),
    action: "prune",
    permissions: "ops",
    dangerous: true,
    options: {
      "keep-last": {
        type: "number",
        description: "keep the N newest",
        min: 0,
        integer: true,
        placeholder: "N",
      },
      "keep-daily": {
        type: "number",
        description: "keep the newest of each of the last N days that have one",
        min: 0,
        integer: true,
        placeholder: "N",
      },
      "keep-weekly": {
        type: "number",
        description: "keep the newest of each of the last N weeks that have one",
        min: 0,
        integer: true,
        placeholder: "N",
      },
      "dry-run": {
        type: "boolean",
        description: "only list what would be removed",
        default: false,
      },
    },
    run: async (ctx, { options }) => {
      if (spec.service) ctx.service(spec.service);
      const policy = {
        ...(options["keep-last"] !== undefined ? { keepLast: options["keep-last"] } : {}),
        ...(options["keep-daily"] !== undefined ? { keepDaily: options["keep-daily"] } : {}),
        ...(options["keep-weekly"] !== undefined ? { keepWeekly: options["keep-weekly"] } : {}),
      };
      const { backupDir } = ctx.environment;
      const after = spec.after ?? ((_: TaskContext, r: PruneResult) => Promise.resolve(r));
      const plan = await after(
        ctx,
        await pruneBackups(backupDir, spec.folder, policy, { dryRun: true }),
      );
      if (options["dry-run"] || (plan.remove.length === 0 && !spec.after)) return plan;
      await ctx.confirm(`remove ${plan.remove.length} ${spec.noun}`);
      return await withBackupLock(
        backupDir,
        spec.folder,
        spec.id,
        async () =>
          await after(ctx, await pruneBackups(backupDir, spec.folder, policy, { dryRun: false })),
      );
    },
    render: spec.render ?? renderPrune,
  });
}

/** `<svc>:backups`, `<svc>:verify ID` and `<svc>:prune` for one service with backups. */
export function catalogTasks(service: string): AnyTask[] {
  const backups = defineTask({
    id: `${service}:backups`,
    summary: `List the ${service} backups, newest first`,
    service,
    action: "backups",
    permissions: "observe",
    snapshotSuffices: true,
    options: {},
    run: (ctx) => listServiceBackups(ctx, service),
    render: renderList,
  });
  const verify = defineTask({
    id: `${service}:verify`,
    summary: `Re-check every checksum of one ${service} backup (exit 1 when damaged)`,
    service,
    action: "verify",
    permissions: "observe",
    snapshotSuffices: true,
    args: [{ name: "id", description: "backup id, or latest", required: true }],
    options: {},
    run: (ctx, { args }) => verifyServiceBackup(ctx, service, args[0]!),
    render: renderVerify,
    exitCode: (report) => (report.ok ? 0 : 1),
  });
  const prune = retentionPruneTask({
    id: `${service}:prune`,
    summary: `Remove old ${service} backups by retention (never the newest)`,
    service,
    folder: service,
    noun: `${service} backup(s)`,
  });
  return [backups, verify, prune];
}

/**
 * The catalog tasks of every service that offers a `backup` task among the
 * tasks given, in service name order, except ids a service module already
 * defines (e.g. a `postgres:verify` with extra options).
 */
export function backupCatalogTasks(existing: readonly AnyTask[]): AnyTask[] {
  const taken = new Set(existing.map((t) => t.id));
  const withBackup = existing.filter((t) => t.service && t.action === "backup")
    .map((t) => t.service!);
  return [...new Set(withBackup)].sort()
    .flatMap(catalogTasks)
    .filter((t) => !taken.has(t.id));
}
