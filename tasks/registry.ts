import { serviceFolderNames } from "../lib/service/service_folders.ts";
import type { AnyTask } from "../lib/task/define_task.ts";
import { lifecycleTasks } from "./service_lifecycle.ts";
import { stackTasks } from "./stack.ts";
import { tuiTasks } from "./tui.ts";
import { postgresTasks } from "./postgres.ts";
import { backupCatalogTasks } from "./backup_catalog.ts";
import { backupSetTasks } from "./backup_set_tasks.ts";
import { redisTasks } from "./redis.ts";
import { opensearchTasks } from "./opensearch.ts";
import { ingestorTasks } from "./ingestor.ts";
import { webTasks } from "./web.ts";
import { configTasks } from "./config.ts";
import { scaleTasks } from "./scale.ts";
import { scheduleTasks } from "./schedule.ts";
import { metricsTasks } from "./metrics.ts";
import { clusterTasks } from "./cluster.ts";
import { nodeTasks } from "./nodes.ts";
import { deployTasks } from "./deploy.ts";

/**
 * Every task: the stack tasks, the lifecycle tasks of each service folder and
 * the service-specific task modules. The CLI, deno.json, `--help` and the
 * dashboard all read this one list.
 */
export function taskRegistry(): AnyTask[] {
  const services = serviceFolderNames();
  const tasks: AnyTask[] = [...stackTasks()];
  tasks.push(...tuiTasks(taskRegistry));
  for (const service of services) tasks.push(...lifecycleTasks(service));
  tasks.push(...backupSetTasks());
  tasks.push(...postgresTasks());
  tasks.push(...redisTasks());
  tasks.push(...opensearchTasks());
  tasks.push(...ingestorTasks());
  tasks.push(...webTasks());
  tasks.push(...configTasks());
  tasks.push(...scaleTasks(services));
  tasks.push(...scheduleTasks());
  tasks.push(...metricsTasks());
  tasks.push(...clusterTasks());
  tasks.push(...nodeTasks());
  tasks.push(...deployTasks());
  // keep last: adds <svc>:backups/verify/prune where a module above did not define its own
  tasks.push(...backupCatalogTasks(tasks));
  const ids = new Set<string>();
  for (const task of tasks) {
    if (ids.has(task.id)) throw new Error(`task ${task.id} is defined twice`);
    ids.add(task.id);
  }
  return tasks;
}
