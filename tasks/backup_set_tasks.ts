import { listBackups, setParts, setsFolder } from "../lib/backup/mod.ts";
import { formatBytes } from "../lib/output/format_bytes.ts";
import type { Output } from "../lib/output/output.ts";
import { renderTable } from "../lib/output/table.ts";
import { type AnyTask, defineTask } from "../lib/task/define_task.ts";
import { retentionPruneTask } from "./backup_catalog.ts";
import type { BackupSetRestoreResult, BackupSetResult } from "./backup_set.ts";

/** One row of `backup-sets`. */
export interface BackupSetListItem {
  id: string;
  label: string | null;
  startedAt: string;
  parts: { service: string; id: string; totalBytes: number }[];
  totalBytes: number;
}

function renderSet(result: BackupSetResult, output: Output): void {
  output.line(
    `backup set ${result.id}: ${result.parts.length} part(s), ${
      formatBytes(result.totalBytes)
    } in ${(result.durationMs / 1000).toFixed(1)} s`,
  );
  for (const p of result.parts) {
    output.line(`  ${p.service.padEnd(10)} ${p.id}  ${formatBytes(p.totalBytes)}`);
  }
  output.line(`restore it with: ./ops restore ${result.id}`);
}

function renderSetRestore(result: BackupSetRestoreResult, output: Output): void {
  output.line(
    `restored backup set ${result.id} in ${(result.durationMs / 1000).toFixed(1)} s`,
  );
  for (const p of result.parts) {
    output.line(
      `  ${p.service.padEnd(10)} ${p.id}${
        p.safetyBackupId ? `  (safety backup ${p.safetyBackupId})` : ""
      }`,
    );
  }
  if (result.restartedDependents.length) {
    output.line(
      `  stopped during the restore and started again: ${result.restartedDependents.join(", ")}`,
    );
  }
}

function renderSetList(list: { sets: BackupSetListItem[] }, output: Output): void {
  if (list.sets.length === 0) {
    output.line("no backup sets yet: ./ops backup takes one");
    return;
  }
  output.line(renderTable(
    ["SET", "STARTED", "SIZE", "PARTS", "LABEL"],
    list.sets.map((s) => [
      s.id,
      s.startedAt.replace("T", " ").replace(/\.\d+Z$/, "Z"),
      formatBytes(s.totalBytes),
      s.parts.map((p) => p.service).join(", "),
      s.label ?? "",
    ]),
  ));
}

/** The stack backup-set tasks: `backup`, `restore SET`, `backup-sets`, `prune-sets`. */
export function backupSetTasks(): AnyTask[] {
  const backup = defineTask({
    id: "backup",
    summary: "Back up every data store (postgres, redis, opensearch) as one backup set",
    action: "backup",
    permissions: "ops",
    options: {
      label: {
        type: "string",
        description: "a note kept in the set manifest",
        placeholder: "TEXT",
      },
    },
    // the set's module pulls in every store's task module: loaded when a set runs
    run: async (ctx, { options }) =>
      (await import("./backup_set.ts")).backupSet(ctx, { label: options.label }),
    render: renderSet,
  });
  const restore = defineTask({
    id: "restore",
    summary: "Restore a backup set into every data store, in dependency order (checksums first)",
    action: "restore",
    permissions: "ops",
    dangerous: true,
    args: [{ name: "set", description: "backup set id, or latest", required: true }],
    options: {
      "no-safety-backup": {
        type: "boolean",
        description: "skip the backups of the current data taken first",
        default: false,
      },
    },
    run: async (ctx, { options, args }) =>
      (await import("./backup_set.ts")).restoreSet(ctx, {
        id: args[0]!,
        safetyBackup: !options["no-safety-backup"],
      }),
    render: renderSetRestore,
  });
  const list = defineTask({
    id: "backup-sets",
    summary: "List the backup sets, newest first",
    action: "backups",
    permissions: "observe",
    snapshotSuffices: true,
    options: {},
    run: async (ctx) => ({
      sets: (await listBackups(ctx.environment.backupDir, setsFolder)).map(({ manifest }) => {
        const parts = setParts(manifest.details);
        return {
          id: manifest.id,
          label: manifest.label,
          startedAt: manifest.startedAt,
          parts,
          totalBytes: parts.reduce((sum, p) => sum + (p.totalBytes ?? 0), 0),
        };
      }),
    }),
    render: renderSetList,
  });
  const prune = retentionPruneTask({
    id: "prune-sets",
    summary: "Remove old backup sets by retention (their parts become ordinary backups again)",
    folder: setsFolder,
    noun: "backup set(s)",
  });
  return [backup, restore, list, prune];
}
