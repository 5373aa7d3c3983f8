/**
 * The entry of `deno task tui` (`./ops tui`): the CLI, with the dashboard's
 * own modules (Ink, React, the views) loading from the first moment while
 * the CLI reads the environment, and the rest of the task registry only after
 * the first frame. `mod.ts tui` and `tasks/cli.ts tui` run the same task.
 * @module
 */
import { loadDashboard } from "./load_dashboard.ts";

loadDashboard().catch(() => {
  // the task waits on the same import and reports a failure there
});
const { main } = await import("../lib/cli/main.ts");
const { tuiTasks } = await import("../tasks/tui.ts");
Deno.exit(
  await main(["tui", ...Deno.args], {
    quick: tuiTasks,
    all: async () => (await import("../tasks/registry.ts")).taskRegistry(),
  }),
);
