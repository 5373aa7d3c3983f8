import { describe, expect, it } from "vitest";
import { lazyImportsFlag } from "../../../lib/cli/deno_task_entries.ts";
import { root } from "../../helpers/test_stack.ts";

interface ModuleInfo {
  specifier: string;
  dependencies?: { specifier: string; isDynamic?: boolean; code?: { specifier?: string } }[];
}

/**
 * Every module Deno loads for these entries through static imports (what
 * loads before their code runs), relative to the project; npm and node:
 * modules by name. Dynamic imports are left out: deno.json's command lines
 * run with {@link lazyImportsFlag}, so Deno loads them only when they run.
 */
async function staticGraph(...entries: string[]): Promise<Set<string>> {
  const { stdout, code } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", ...entries.slice(0, 1)],
    cwd: root,
    stdout: "piped",
    stderr: "null",
  }).output();
  expect(code).toBe(0);
  const info = JSON.parse(new TextDecoder().decode(stdout)) as { modules: ModuleInfo[] };
  const modules = new Map(info.modules.map((m) => [m.specifier, m]));
  const found = new Set<string>();
  const stack = entries.map((e) => `file://${root}/${e}`);
  const rest = entries.slice(1);
  // the other entries are reached dynamically from the first: deno info lists them too
  for (const entry of rest) expect(modules.has(`file://${root}/${entry}`), entry).toBe(true);
  while (stack.length) {
    const spec = stack.pop()!;
    const name = spec.startsWith("file://")
      ? spec.replace(`file://${root}/`, "")
      : spec.replace(/^(npm:\/?@?[^@/]+(\/[^@/]+)?).*$/, "$1");
    if (found.has(name)) continue;
    found.add(name);
    for (const dep of modules.get(spec)?.dependencies ?? []) {
      const target = dep.code?.specifier;
      if (target && !dep.isDynamic) stack.push(target);
    }
  }
  return found;
}

const heavy = (modules: Set<string>) =>
  [...modules].filter((m) =>
    m.startsWith("npm:") || m.startsWith("node:") || m.startsWith("jsr:") ||
    /^lib\/(setup|compose)\//.test(m) || /^lib\/runtime\/compose_/.test(m) ||
    m === "lib/config/environment_schema.ts" || m === "lib/config/yaml_locations.ts" ||
    m === "lib/service/load_services.ts" || m === "lib/stack/stack_model.ts" ||
    m.startsWith("services/") || m.startsWith("tui/")
  );

// Deno starts in ~20 ms; every module read at start costs, one npm client or the Node
// compatibility layer (node:*) 10-150 ms. `--help`, `status` and `health` must not pay for them.
describe("start-up path", () => {
  it("runs every task with lazy dynamic imports, so Deno does not read the modules they could load at start", async () => {
    const config = JSON.parse(await Deno.readTextFile(`${root}/deno.json`)) as {
      tasks: Record<string, { command: string }>;
    };
    for (const [id, task] of Object.entries(config.tasks)) {
      if (task.command.includes("tasks/cli.ts")) {
        expect(task.command, id).toContain(lazyImportsFlag);
      }
    }
    const ops = await Deno.readTextFile(`${root}/ops`);
    for (const line of ops.split("\n").filter((l) => l.includes("tasks/cli.ts"))) {
      expect(line).toContain(lazyImportsFlag);
    }
  });

  it("lists tasks, parses a command line and prints a task's help from the task index alone", async () => {
    const graph = await staticGraph("tasks/cli.ts");
    expect(graph).toContain("tasks/task_index.json");
    const taskModules = [...graph].filter((m) =>
      m.startsWith("tasks/") && !["tasks/cli.ts", "tasks/task_index.json", "tasks/task_modules.ts"]
        .includes(m)
    );
    expect(taskModules).toEqual([]);
    expect(heavy(graph)).toEqual([]);
    expect([...graph].filter((m) => m.startsWith("lib/runtime/") || m.startsWith("lib/config/")))
      .toEqual([]);
  });

  it("loads for health and status their own task module, the native runtime and the probes, nothing heavy", async () => {
    // what `./ops health` imports: the entry, then (dynamically) the stack task module, the
    // task runner, the grants check and the native runtime
    const graph = await staticGraph(
      "tasks/cli.ts",
      "tasks/stack.ts",
      "lib/task/run_task.ts",
      "lib/cli/rerun_with_grants.ts",
      "lib/runtime/native_runtime.ts",
    );
    expect(heavy(graph)).toEqual([]);
    expect(graph).toContain("lib/probes/postgres_probe.ts");
    expect([...graph].filter((m) => m.startsWith("tasks/") && m.endsWith(".ts")).sort()).toEqual([
      "tasks/cli.ts",
      "tasks/junit_report.ts",
      "tasks/render_leftovers.ts",
      "tasks/stack.ts",
      "tasks/task_modules.ts",
    ]);
  });
});
