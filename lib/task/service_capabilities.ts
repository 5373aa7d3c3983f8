import type { AnyTask } from "./define_task.ts";

/** Actions every service has from the registry itself: no definition lists them. */
export const commonServiceActions: ReadonlySet<string> = new Set([
  "start",
  "stop",
  "restart",
  "logs",
  "validate-deps",
  "scale",
]);

/** Actions the backup catalog adds to a service that offers `backup`: no definition lists them. */
export const backupCatalogActions: ReadonlySet<string> = new Set(["backups", "verify", "prune"]);

/**
 * What a service offers according to the task registry: the actions of its
 * tasks beyond the common and the backup catalog ones, sorted. A service
 * definition's `capabilities` must list exactly these (a fitness test holds
 * them equal), so the dashboard's hints and menus match the tasks that exist.
 */
export function capabilitiesFromTasks(
  tasks: readonly Pick<AnyTask, "service" | "action">[],
  service: string,
): string[] {
  const actions = tasks
    .filter((t) => t.service === service)
    .map((t) => t.action)
    .filter((action) => !commonServiceActions.has(action) && !backupCatalogActions.has(action));
  return [...new Set(actions)].sort();
}
