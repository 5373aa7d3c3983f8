/**
 * The entry of `deno task tui` (`./ops tui`): the CLI, with the dashboard's
 * own modules (Ink, React, the views) loading from the first moment, while
 * the CLI loads the environment, instead of after it. `mod.ts tui` and
 * `tasks/cli.ts tui` run the same task, only later to their first frame.
 * @module
 */
// React picks its build when it first loads: the production one (tasks/tui.ts explains why)
if (Deno.env.get("NODE_ENV") === undefined) Deno.env.set("NODE_ENV", "production");
// a computed specifier, so that Deno does not resolve these npm packages for every CLI start
const dashboard = new URL("./main.tsx", import.meta.url).href;
import(dashboard).catch(() => {
  // the task imports it again and reports a failure there
});
const { main } = await import("../lib/cli/main.ts");
const { tuiTasks } = await import("../tasks/tui.ts");
Deno.exit(
  await main(["tui", ...Deno.args], {
    quick: tuiTasks,
    all: async () => (await import("../tasks/registry.ts")).taskRegistry(),
  }),
);
