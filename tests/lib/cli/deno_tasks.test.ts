import { describe, expect, it } from "vitest";
import { denoTaskEntries, extraDenoTasks } from "../../../lib/cli/deno_task_entries.ts";
import { taskIndexEntries } from "../../../lib/cli/task_index_entries.ts";
import { taskRegistry } from "../../../tasks/registry.ts";
import { loadTask, taskModules } from "../../../tasks/task_modules.ts";
import { root } from "../../helpers/test_stack.ts";
import { denoBinaries, permissionSets } from "../../../lib/cli/permission_sets.ts";
import { parse } from "yaml";

const config = JSON.parse(await Deno.readTextFile(`${root}/deno.json`)) as {
  tasks: Record<string, { description: string; command: string }>;
  permissions: Record<string, unknown>;
};

describe("deno.json tasks", () => {
  it("match the task registry exactly (run scripts/sync_deno_tasks.ts after adding a task)", () => {
    expect(config.tasks).toEqual({ ...denoTaskEntries(taskRegistry()), ...extraDenoTasks });
  });

  it("have a task index equal to the registry, each entry naming the module that defines its task (run scripts/sync_deno_tasks.ts)", async () => {
    const index = JSON.parse(await Deno.readTextFile(`${root}/tasks/task_index.json`));
    expect(index).toEqual(await taskIndexEntries(taskRegistry(), taskModules));
    const registry = taskRegistry();
    expect(index.map((e: { id: string }) => e.id)).toEqual(registry.map((t) => t.id));
    for (const entry of index) {
      const task = await loadTask(entry);
      expect(task.id).toBe(entry.id);
      expect(typeof task.run, entry.id).toBe("function");
    }
  });

  it("refuses an index entry whose module does not define the task, naming the fix", async () => {
    const [entry] = JSON.parse(await Deno.readTextFile(`${root}/tasks/task_index.json`));
    await expect(loadTask({ ...entry, module: "web" })).rejects.toThrow(
      /does not define it: run deno run -A scripts\/sync_deno_tasks.ts/,
    );
  });

  it("name every task service:action or a stack verb, each with a description", () => {
    for (const [id, task] of Object.entries(config.tasks)) {
      expect(id).toMatch(/^([a-z]+:[a-z-]+|[a-z]+(-[a-z]+)*)$/);
      expect(task.description.length).toBeGreaterThan(10);
    }
  });

  it("run operator tasks under a named permission set, never with every permission", () => {
    for (const [id, task] of Object.entries(config.tasks)) {
      if (id === "test") continue;
      expect(task.command).not.toMatch(/(^|\s)(-A|--allow-all)(\s|$)/);
      const set = /-P=(\w+)/.exec(task.command)?.[1];
      expect(set, id).toBeDefined();
      expect(config.permissions).toHaveProperty(set!);
    }
  });

  it("keeps status and health read-only: no write outside the snapshot folder, no program that changes anything", () => {
    const observe = config.permissions.observe as { write?: string[]; run?: string[] };
    expect(observe.write).toEqual([".ops/snapshots"]);
    // ps and ss read the process table, df the file systems' free space (metrics); Deno runs the
    // CLI again with exact grants (a compose environment's docker, a report file): nothing here
    // can change the system by itself
    expect(observe.run).toEqual(["ps", "ss", "df", ...denoBinaries]);
    expect(config.tasks.health!.command).toContain("-P=observe");
    expect(config.tasks.status!.command).toContain("-P=observe");
  });

  it("has permission sets equal to lib/cli/permission_sets.ts (run scripts/sync_deno_tasks.ts)", () => {
    expect(config.permissions).toEqual(permissionSets());
  });

  it("lets no operator set run every program or write every file", () => {
    for (const name of ["observe", "ops"]) {
      const set = config.permissions[name] as { run?: unknown; write?: unknown };
      expect(set.run, `${name}.run`).not.toBe(true);
      expect(set.write, `${name}.write`).not.toBe(true);
      expect(Array.isArray(set.run) && Array.isArray(set.write), name).toBe(true);
      for (const entry of [...(set.run as string[]), ...(set.write as string[])]) {
        expect(entry, `${name}: ${entry}`).not.toMatch(/^(\/|\.|\*)?$/);
      }
    }
    const ops = config.permissions.ops as { run: string[] };
    expect(ops.run).not.toContain("docker");
    expect(ops.run).not.toContain("sh");
    expect(ops.run).not.toContain("bash");
  });

  it("lets the ops set write the state and backup folders of every shipped environment", async () => {
    const ops = config.permissions.ops as { write: string[] };
    for (const entry of Deno.readDirSync(`${root}/environments`)) {
      if (!entry.name.endsWith(".yaml") || entry.name.startsWith("compose.")) continue;
      const env = parse(await Deno.readTextFile(`${root}/environments/${entry.name}`)) as {
        name: string;
        stateDir: string;
        backupDir?: string;
      };
      const within = (path: string) =>
        ops.write.some((w) => path === w || path.startsWith(w + "/"));
      expect(within(env.stateDir), `${entry.name} stateDir ${env.stateDir}`).toBe(true);
      const backups = env.backupDir ?? `backups/${env.name}`;
      expect(within(backups), `${entry.name} backupDir ${backups}`).toBe(true);
    }
  });
});
