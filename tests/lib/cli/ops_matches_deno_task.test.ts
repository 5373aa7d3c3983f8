/**
 * `./ops TASK ARGS` and `deno task TASK ARGS` run the same command line, so
 * they print the same and exit the same; `deno task` only adds its `Task`
 * line, which names the command line it runs.
 */
import { describe, expect, it } from "vitest";
import { root } from "../../helpers/test_stack.ts";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(
  program: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Run> {
  const { code, stdout, stderr } = await new Deno.Command(program, {
    args,
    cwd: root,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code, stdout: text(stdout), stderr: text(stderr) };
}

// deno task colours its `Task` line whatever NO_COLOR says
// deno-lint-ignore no-control-regex
const plain = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, "");

describe("./ops and deno task", () => {
  for (
    const args of [
      ["postgres:backup", "--help"],
      ["health", "--help"],
      ["status", "--env", "no-such-environment"],
    ]
  ) {
    it(`print the same and exit the same for ${args.join(" ")}`, async () => {
      const viaOps = await run(`${root}/ops`, args);
      const viaDenoTask = await run(`${root}/.ops/bin/deno`, ["task", ...args]);
      const [taskLine, ...stderr] = plain(viaDenoTask.stderr).split("\n");
      expect(viaDenoTask.code).toBe(viaOps.code);
      expect(viaDenoTask.stdout).toBe(viaOps.stdout);
      expect(stderr.join("\n")).toBe(viaOps.stderr);
      // the command line deno task ran is the one ./ops starts directly
      const shown = await run(`${root}/ops`, args, { OPS_SHOW_COMMAND: "1" });
      expect(taskLine!.replace(/^Task \S+ /, "").replaceAll("'", "")).toBe(shown.stdout.trim());
    });
  }

  it("compares real runs: help on stdout with exit 0, a bad environment named with exit 2", async () => {
    const help = await run(`${root}/ops`, ["postgres:backup", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("usage: ./ops postgres:backup");
    const bad = await run(`${root}/ops`, ["status", "--env", "no-such-environment"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown environment "no-such-environment"');
  });
});
