// Rewrites the `tasks` of deno.json from the task registry, so deno.json,
// `./ops`, `--help` and the dashboard list the same tasks, and its
// `permissions` from lib/cli/permission_sets.ts; and tasks/task_index.json, the
// light index the CLI lists, parses and helps from without importing the task modules.
// Usage: deno run -A scripts/sync_deno_tasks.ts
import { denoTaskEntries, extraDenoTasks } from "../lib/cli/deno_task_entries.ts";
import { permissionSets } from "../lib/cli/permission_sets.ts";
import { taskIndexEntries } from "../lib/cli/task_index_entries.ts";
import { taskRegistry } from "../tasks/registry.ts";
import { taskModules } from "../tasks/task_modules.ts";

const path = new URL("../deno.json", import.meta.url);
const config = JSON.parse(await Deno.readTextFile(path));
config.permissions = permissionSets();
config.tasks = { ...denoTaskEntries(taskRegistry()), ...extraDenoTasks };
await Deno.writeTextFile(path, JSON.stringify(config, null, 2) + "\n");
console.log(`deno.json: ${Object.keys(config.tasks).length} tasks`);

const index = await taskIndexEntries(taskRegistry(), taskModules);
await Deno.writeTextFile(
  new URL("../tasks/task_index.json", import.meta.url),
  JSON.stringify(index, null, 2) + "\n",
);
console.log(`tasks/task_index.json: ${index.length} tasks`);
