import { join } from "../posix_path.ts";
import { UsageError } from "../errors.ts";
import { listBackups } from "./list_backups.ts";
import { backupsInSets, setsFolder } from "./backup_sets.ts";
import { serviceBackupDir } from "./manifest.ts";
import { planRetention, type RetentionPlan, type RetentionPolicy } from "./plan_retention.ts";

/** The result of {@link pruneBackups}: the plan, what was removed and the bytes freed. */
export interface PruneResult extends RetentionPlan {
  service: string;
  dryRun: boolean;
  removed: string[];
  freedBytes: number;
}

/**
 * Applies a retention policy to the backups of a service; backups that a
 * stack backup set uses are always kept. With `dryRun` only
 * the plan is returned. A backup is removed by first renaming it to a
 * `.tmp-` folder (so it stops being listed at once), then deleting it.
 * @throws {UsageError} when the policy keeps nothing explicitly (no rule given).
 */
export async function pruneBackups(
  backupDir: string,
  service: string,
  policy: RetentionPolicy,
  options: { dryRun: boolean },
): Promise<PruneResult> {
  if (!policy.keepLast && !policy.keepDaily && !policy.keepWeekly) {
    throw new UsageError(
      "a retention policy needs at least one rule",
      "pass --keep-last N, --keep-daily N or --keep-weekly N",
    );
  }
  const backups = await listBackups(backupDir, service);
  const plan = planRetention(backups.map((b) => b.manifest), policy);
  if (service !== setsFolder) {
    const inSets = await backupsInSets(backupDir);
    for (const candidate of [...plan.remove]) {
      const sets = inSets.get(`${service}/${candidate.id}`);
      if (!sets) continue;
      plan.remove = plan.remove.filter((r) => r.id !== candidate.id);
      plan.keep.push({ ...candidate, reasons: sets.map((id) => `in set ${id}`) });
    }
    plan.keep.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id));
  }
  const result: PruneResult = {
    ...plan,
    service,
    dryRun: options.dryRun,
    removed: [],
    freedBytes: 0,
  };
  if (options.dryRun) return result;
  const dir = serviceBackupDir(backupDir, service);
  for (const { id } of plan.remove) {
    const entry = backups.find((b) => b.manifest.id === id);
    if (!entry) continue;
    const doomed = join(dir, `.tmp-prune-${id}`);
    await Deno.rename(entry.path, doomed);
    await Deno.remove(doomed, { recursive: true });
    result.removed.push(id);
    result.freedBytes += entry.manifest.totalBytes;
  }
  return result;
}
