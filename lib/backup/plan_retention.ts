import type { BackupManifest } from "./manifest.ts";

/** How many backups to keep: the last N, the newest of each of the last N days, of the last N weeks. */
export interface RetentionPolicy {
  keepLast?: number;
  keepDaily?: number;
  keepWeekly?: number;
}

/** One backup the plan keeps, and why. */
export interface KeptBackup {
  id: string;
  startedAt: string;
  /** `last`, `daily 2026-11-22`, `weekly 2026-W47`, `newest`. */
  reasons: string[];
}

/** What a retention policy keeps and removes; ids newest first. */
export interface RetentionPlan {
  keep: KeptBackup[];
  remove: { id: string; startedAt: string }[];
}

/**
 * Decides which backups a policy keeps. Rules add up (a backup kept by any rule
 * stays); days and ISO weeks are UTC and only count when they hold a backup;
 * the newest backup is always kept, whatever the policy.
 * @example
 * planRetention(manifests, { keepLast: 3, keepDaily: 7 });
 */
export function planRetention(
  backups: readonly Pick<BackupManifest, "id" | "startedAt">[],
  policy: RetentionPolicy,
): RetentionPlan {
  const sorted = [...backups].sort((a, b) =>
    b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id)
  );
  const reasons = new Map<string, string[]>();
  const keep = (id: string, reason: string) => {
    const list = reasons.get(id) ?? [];
    list.push(reason);
    reasons.set(id, list);
  };
  sorted.slice(0, Math.max(0, policy.keepLast ?? 0)).forEach((b) => keep(b.id, "last"));
  const bucket = (count: number | undefined, key: (d: Date) => string, name: string) => {
    if (!count || count <= 0) return;
    const seen = new Set<string>();
    for (const b of sorted) {
      const k = key(new Date(b.startedAt));
      if (seen.has(k)) continue;
      if (seen.size >= count) break;
      seen.add(k);
      keep(b.id, `${name} ${k}`);
    }
  };
  bucket(policy.keepDaily, (d) => d.toISOString().slice(0, 10), "daily");
  bucket(policy.keepWeekly, isoWeek, "weekly");
  const newest = sorted[0];
  if (newest && !reasons.has(newest.id)) keep(newest.id, "newest");
  const plan: RetentionPlan = { keep: [], remove: [] };
  for (const b of sorted) {
    const why = reasons.get(b.id);
    if (why) plan.keep.push({ id: b.id, startedAt: b.startedAt, reasons: why });
    else plan.remove.push({ id: b.id, startedAt: b.startedAt });
  }
  return plan;
}

/** ISO 8601 week of a UTC date, e.g. `2026-W47`. */
export function isoWeek(date: Date): string {
  const d = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const day = d.getUTCDay() || 7;
  d.setUTCDate(d.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((d.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, "0")}`;
}
