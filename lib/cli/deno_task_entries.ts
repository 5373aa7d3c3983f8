import type { AnyTask } from "../task/define_task.ts";

/** A `tasks` entry of deno.json. */
export interface DenoTaskEntry {
  description: string;
  command: string;
}

/** The deno.json `tasks` entries for a registry: each runs `tasks/cli.ts <id>` under its named permission set. */
export function denoTaskEntries(tasks: readonly AnyTask[]): Record<string, DenoTaskEntry> {
  const entries: Record<string, DenoTaskEntry> = {};
  for (const task of tasks) {
    entries[task.id] = {
      description: task.summary,
      command: `deno run -q -P=${task.permissions} tasks/cli.ts ${task.id}`,
    };
  }
  return entries;
}

/** Tasks of deno.json that are not registry tasks (the test runner, the dashboard, benches). */
export const extraDenoTasks: Record<string, DenoTaskEntry> = {
  test: {
    description: "Run the test suite (vitest) against real servers the suite starts itself",
    // setup first, so `./ops test` passes on a fresh machine; scripts/run_tests.ts runs the
    // main files, then the dashboard's terminal end-to-end test on its own
    command: "deno run -q -P=setup tasks/cli.ts setup && deno run -A scripts/run_tests.ts",
  },
  // the registry's `tui` task through its own entry, arranged for a fast first frame
  // (tui/cli.ts explains the node_modules mode)
  tui: {
    description:
      "Open the on-call dashboard: services, dependencies, merged logs and every action from the keyboard",
    command: "deno run -q -P=ops --node-modules-dir=manual tui/cli.ts",
  },
};
