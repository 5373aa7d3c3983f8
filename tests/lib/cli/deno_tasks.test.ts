import { describe, expect, it } from "vitest";
import { denoTaskEntries, extraDenoTasks } from "../../../lib/cli/deno_task_entries.ts";
import { taskRegistry } from "../../../tasks/registry.ts";
import { root } from "../../helpers/test_stack.ts";

const config = JSON.parse(await Deno.readTextFile(`${root}/deno.json`)) as {
  tasks: Record<string, { description: string; command: string }>;
  permissions: Record<string, unknown>;
};

describe("deno.json tasks", () => {
  it("match the task registry exactly (run scripts/sync_deno_tasks.ts after adding a task)", () => {
    expect(config.tasks).toEqual({ ...denoTaskEntries(taskRegistry()), ...extraDenoTasks });
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

  it("keeps status and health read-only: no write outside the snapshot folder, no programs but ps, ss and docker", () => {
    const observe = config.permissions.observe as { write?: string[]; run?: string[] };
    expect(observe.write).toEqual([".ops/snapshots"]);
    // docker: the compose runtime reads container state with `docker compose ps` and `docker inspect`
    expect(observe.run).toEqual(["ps", "ss", "docker"]);
    expect(config.tasks.health!.command).toContain("-P=observe");
    expect(config.tasks.status!.command).toContain("-P=observe");
  });
});
