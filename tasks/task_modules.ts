import type { AnyTask, TaskIndexEntry } from "../lib/task/define_task.ts";
import { findTask } from "../lib/task/find_task.ts";

/**
 * The task modules by the name the task index gives them: each loader imports
 * one module and returns its tasks (those of one service, for the tasks every
 * service folder gets). Imports are dynamic, so running a task loads its
 * module alone; `registry.ts` holds the same tasks, in the list's order.
 */
export const taskModules: Readonly<
  Record<string, (service: string | undefined) => Promise<AnyTask[]>>
> = {
  stack: async () => (await import("./stack.ts")).stackTasks(),
  tui: async () =>
    (await import("./tui.ts")).tuiTasks(async () => (await import("./registry.ts")).taskRegistry()),
  lifecycle: async (service) =>
    service ? (await import("./service_lifecycle.ts")).lifecycleTasks(service) : [],
  "backup-sets": async () => (await import("./backup_set_tasks.ts")).backupSetTasks(),
  postgres: async () => (await import("./postgres.ts")).postgresTasks(),
  redis: async () => (await import("./redis.ts")).redisTasks(),
  opensearch: async () => (await import("./opensearch.ts")).opensearchTasks(),
  ingestor: async () => (await import("./ingestor.ts")).ingestorTasks(),
  web: async () => (await import("./web.ts")).webTasks(),
  config: async () => (await import("./config.ts")).configTasks(),
  scale: async (service) => service ? (await import("./scale.ts")).scaleTasks([service]) : [],
  schedule: async () => (await import("./schedule.ts")).scheduleTasks(),
  metrics: async () => (await import("./metrics.ts")).metricsTasks(),
  cluster: async () => (await import("./cluster.ts")).clusterTasks(),
  nodes: async () => (await import("./nodes.ts")).nodeTasks(),
  deploy: async () => (await import("./deploy.ts")).deployTasks(),
  // the catalog tasks a service module does not define itself exist only beside all the others
  "backup-catalog": async () => (await import("./registry.ts")).taskRegistry(),
};

/**
 * The task of a task index entry, from the one module that defines it.
 * @throws {Error} when the index is out of step with the modules (regenerate it).
 */
export async function loadTask(entry: TaskIndexEntry): Promise<AnyTask> {
  const load = taskModules[entry.module];
  const tasks = load ? await load(entry.service) : [];
  if (!tasks.some((t) => t.id === entry.id)) {
    throw new Error(
      `tasks/task_index.json places ${entry.id} in the task module "${entry.module}", which does not define it: ` +
        "run deno run -A scripts/sync_deno_tasks.ts",
    );
  }
  return findTask(tasks, entry.id);
}
