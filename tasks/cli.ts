/**
 * The command-line entry that deno.json's tasks run: `deno run -P=<set>
 * tasks/cli.ts <task> [args]`. Stack tasks (status, health, up...) resolve
 * without loading every task module, which keeps `health` fast; any other
 * task loads the whole registry. `mod.ts` stays the library API.
 * @module
 */
import { main } from "../lib/cli/main.ts";
import { stackTasks } from "./stack.ts";
import { metricsTasks } from "./metrics.ts";

Deno.exit(
  await main(Deno.args, {
    // metrics sits beside status and health: it must start as fast as they do
    quick: () => [...stackTasks(), ...metricsTasks()],
    all: async () => (await import("./registry.ts")).taskRegistry(),
  }),
);
