/**
 * `./ops TASK` starts the same command line `deno task TASK` runs, directly:
 * no `deno task` or shell in between, so the task is the process a signal
 * reaches and nothing is orphaned when it dies.
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { root } from "../../helpers/test_stack.ts";

const config = JSON.parse(await Deno.readTextFile(join(root, "deno.json"))) as {
  tasks: Record<string, { command: string }>;
};

async function shown(task: string, args: string[] = []): Promise<string> {
  const { code, stdout } = await new Deno.Command(join(root, "ops"), {
    args: [task, ...args],
    env: { OPS_SHOW_COMMAND: "1" },
    stdout: "piped",
  }).output();
  expect(code, task).toBe(0);
  return new TextDecoder().decode(stdout).trim();
}

describe("./ops", () => {
  it("runs every single-command task exactly as deno.json's task does, with the arguments after it", async () => {
    const direct = Object.entries(config.tasks).filter(([, t]) => !/[;&|<>$`'"*?]/.test(t.command));
    expect(direct.length).toBeGreaterThan(60);
    for (const [id, task] of direct) {
      expect(await shown(id), id).toBe(task.command);
    }
    expect(await shown("postgres:backup", ["--label", "a b", "--json"])).toBe(
      `${config.tasks["postgres:backup"]!.command} --label a b --json`,
    );
  });

  it("becomes the task's process: the pid ./ops was started as is the Deno running the task", async () => {
    const child = new Deno.Command(join(root, "ops"), {
      args: ["status", "--watch", "0.5", "--env", "local"],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.getReader();
    await reader.read(); // the first round is out: the task runs
    const { stdout } = await new Deno.Command("ps", {
      args: ["-o", "args=", "-p", String(child.pid)],
      stdout: "piped",
    }).output();
    expect(new TextDecoder().decode(stdout)).toMatch(
      /deno run -q -P=observe --unstable-lazy-dynamic-imports tasks\/cli\.ts status/,
    );
    child.kill("SIGTERM");
    expect((await child.status).code).toBe(0);
    reader.releaseLock();
    await child.stdout.cancel();
  });
});
