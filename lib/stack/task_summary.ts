import type { AnyTask, ArgSpec, OptionSpecs, PermissionSet } from "../task/define_task.ts";

/** A task as plain data (no functions): what menus, palettes and forms are generated from. */
export interface TaskSummary {
  id: string;
  summary: string;
  service: string | null;
  action: string;
  permissions: PermissionSet;
  dangerous: boolean;
  options: OptionSpecs;
  args: ArgSpec[];
  /** Needs a terminal of its own (psql): not runnable inside the dashboard. */
  passThrough: boolean;
}

/** The plain-data description of a registry task. */
export function describeTask(task: AnyTask): TaskSummary {
  return {
    id: task.id,
    summary: task.summary,
    service: task.service ?? null,
    action: task.action,
    permissions: task.permissions,
    dangerous: task.dangerous ?? false,
    options: task.options as OptionSpecs,
    args: task.args ?? [],
    passThrough: task.passThrough ?? false,
  };
}

/** Actions the dashboard shows as views rather than as tasks to run. */
const viewActions = new Set(["logs", "tui"]);

/** True when the dashboard can run the task in place (not interactive, not a view of its own). */
export function runnableInDashboard(task: TaskSummary): boolean {
  return !task.passThrough && !viewActions.has(task.action);
}

/**
 * The tasks a service offers, in registry order: a task that exists for the
 * service is an action the service offers (its definition's `capabilities`
 * list the same actions, which a fitness test holds equal).
 */
export function serviceActions(tasks: readonly TaskSummary[], service: string): TaskSummary[] {
  return tasks.filter((t) => t.service === service && runnableInDashboard(t));
}
