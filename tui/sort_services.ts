import type { Lifecycle, ServiceSnapshot } from "../lib/stack/mod.ts";

/** Orders of the services table, in the order `o` cycles through them. */
export const sortKeys = ["name", "state", "cpu", "memory", "backup"] as const;
/** One of the sort orders. */
export type SortKey = (typeof sortKeys)[number];

const severity: Record<Lifecycle, number> = {
  crashed: 0,
  unhealthy: 1,
  starting: 2,
  stopped: 3,
  healthy: 4,
};

/**
 * The services in a sort order: `state` puts problems first (crashed,
 * unhealthy, starting, stopped, healthy); `cpu` and `memory` the busiest
 * first; `backup` the oldest (or never) backup first. Ties keep name order.
 */
export function sortServices(
  services: readonly ServiceSnapshot[],
  key: SortKey,
): ServiceSnapshot[] {
  const byName = (a: ServiceSnapshot, b: ServiceSnapshot) => a.name.localeCompare(b.name);
  const desc = (a: number | null, b: number | null) => (b ?? -1) - (a ?? -1);
  const compare: Record<SortKey, (a: ServiceSnapshot, b: ServiceSnapshot) => number> = {
    name: byName,
    state: (a, b) => severity[a.lifecycle] - severity[b.lifecycle],
    cpu: (a, b) => desc(a.cpuPercent, b.cpuPercent),
    memory: (a, b) => desc(a.memoryKb, b.memoryKb),
    backup: (a, b) =>
      (a.lastBackupAt === null ? 0 : Date.parse(a.lastBackupAt)) -
      (b.lastBackupAt === null ? 0 : Date.parse(b.lastBackupAt)),
  };
  return [...services].sort((a, b) => compare[key](a, b) || byName(a, b));
}

/** The next sort order after `key`. */
export function nextSortKey(key: SortKey): SortKey {
  return sortKeys[(sortKeys.indexOf(key) + 1) % sortKeys.length]!;
}
