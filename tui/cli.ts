/**
 * The entry of `deno task tui` (`./ops tui`): the CLI running the `tui` task,
 * arranged for a fast first frame.
 * - deno.json runs it with `--node-modules-dir=manual`: Deno then takes the
 *   installed npm packages as they are instead of checking the installation
 *   for each of the dashboard's packages (about 150 ms of start-up). When a
 *   package is missing (a fresh checkout, a new version in deno.json) the
 *   dashboard's import fails before anything is printed, and this entry runs
 *   itself again in the default mode, which installs it.
 * - The dashboard's modules (Ink, React, the views) start loading at once;
 *   the rest of the task registry loads only after the first frame.
 * `mod.ts tui` and `tasks/cli.ts tui` run the same task, only slower to start.
 * @module
 */
import type { TaskIndexEntry } from "../lib/task/define_task.ts";
import { loadDashboard } from "./load_dashboard.ts";

const retried = Deno.env.get("OPS_TUI_INSTALL_RETRY") === "1";
const dashboard = loadDashboard().then(() => undefined, (error: unknown) => error);
const cli = Promise.all([
  import("../lib/cli/main.ts"),
  import("../tasks/tui.ts"),
  import("../tasks/task_index.json", { with: { type: "json" } }),
]);
cli.catch(() => {});
const failure = (await dashboard) ?? await cli.then(() => undefined, (error: unknown) => error);
if (failure !== undefined && !retried) {
  const root = new URL("..", import.meta.url).pathname;
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-q",
      `--config=${root}deno.json`,
      "-P=ops",
      "--node-modules-dir=auto",
      new URL(import.meta.url).pathname,
      ...Deno.args,
    ],
    env: { OPS_TUI_INSTALL_RETRY: "1" },
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  Deno.exit(code);
}
const [{ main }, { tuiTasks }, { default: index }] = await cli;
const registry = async () => (await import("../tasks/registry.ts")).taskRegistry();
Deno.exit(
  await main(["tui", ...Deno.args], {
    index: index as TaskIndexEntry[],
    load: (entry) => Promise.resolve(tuiTasks(registry).find((t) => t.id === entry.id)!),
  }),
);
