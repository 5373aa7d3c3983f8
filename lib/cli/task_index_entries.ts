import type { AnyTask, TaskIndexEntry } from "../task/define_task.ts";

/**
 * The task index for a registry: each task's data (its functions left out)
 * and the name of the first task module whose loader returns it. Written to
 * `tasks/task_index.json` by `scripts/sync_deno_tasks.ts`; a test keeps the
 * file equal to it.
 * @throws {Error} when no module returns a task of the registry.
 */
export async function taskIndexEntries(
  tasks: readonly AnyTask[],
  modules: Readonly<Record<string, (service: string | undefined) => Promise<AnyTask[]>>>,
): Promise<TaskIndexEntry[]> {
  const loaded = new Map<string, Set<string>>();
  const idsOf = async (module: string, service: string | undefined) => {
    const key = `${module}\0${service ?? ""}`;
    let ids = loaded.get(key);
    if (!ids) {
      ids = new Set((await modules[module]!(service)).map((t) => t.id));
      loaded.set(key, ids);
    }
    return ids;
  };
  const entries: TaskIndexEntry[] = [];
  for (const task of tasks) {
    let module: string | undefined;
    for (const name of Object.keys(modules)) {
      if ((await idsOf(name, task.service)).has(task.id)) {
        module = name;
        break;
      }
    }
    if (module === undefined) {
      throw new Error(`no task module returns ${task.id}: add its module to tasks/task_modules.ts`);
    }
    // JSON keeps the data and drops the functions (run, render, needs...)
    entries.push({ ...JSON.parse(JSON.stringify(task)), module });
  }
  return entries;
}
