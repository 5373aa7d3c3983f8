/**
 * The command-line entry that deno.json's tasks run: `deno run -P=<set>
 * tasks/cli.ts <task> [args]`. The task index (generated with deno.json)
 * lists the tasks, parses the command line and prints help without importing
 * any task module; running a task imports its own module alone, so `health`
 * loads what health needs and nothing else. `mod.ts` stays the library API.
 * @module
 */
import { main } from "../lib/cli/main.ts";
import type { TaskIndexEntry } from "../lib/task/define_task.ts";
import taskIndex from "./task_index.json" with { type: "json" };
import { loadTask } from "./task_modules.ts";

Deno.exit(await main(Deno.args, { index: taskIndex as TaskIndexEntry[], load: loadTask }));
