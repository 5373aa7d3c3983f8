import type { AnyTask } from "../task/define_task.ts";

/** A `tasks` entry of deno.json. */
export interface DenoTaskEntry {
  description: string;
  command: string;
}

/**
 * Deno's flag that leaves a dynamic `import()` alone until it runs. Without
 * it Deno reads, at start-up, every module any dynamic import of the entry
 * could reach (for the CLI: every task module, zod, yaml and the npm clients,
 * some 40 to 60 ms), however lazily the code imports them. Deno 2.9 offers it
 * as an unstable flag; the CLI's command lines and its own re-runs pass it.
 */
export const lazyImportsFlag = "--unstable-lazy-dynamic-imports";

/** The deno.json `tasks` entries for a registry: each runs `tasks/cli.ts <id>` under its named permission set. */
export function denoTaskEntries(tasks: readonly AnyTask[]): Record<string, DenoTaskEntry> {
  const entries: Record<string, DenoTaskEntry> = {};
  for (const task of tasks) {
    entries[task.id] = {
      description: task.summary,
      command: `deno run -q -P=${task.permissions} ${lazyImportsFlag} tasks/cli.ts ${task.id}`,
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
    command:
      `deno run -q -P=setup ${lazyImportsFlag} tasks/cli.ts setup && deno run -A scripts/run_tests.ts`,
  },
  // the registry's `tui` task through its own entry, arranged for a fast first frame
  // (tui/cli.ts explains the node_modules mode)
  tui: {
    description:
      "Open the on-call dashboard: services, dependencies, merged logs and every action from the keyboard",
    command: "deno run -q -P=ops --node-modules-dir=manual tui/cli.ts",
  },
};
