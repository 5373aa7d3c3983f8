import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sharedStackEnv } from "../../helpers/shared_stack.ts";
import { root } from "../../helpers/test_stack.ts";

describe("status --watch", () => {
  it("prints a round of plain lines after every poll until interrupted, then exits 0", async () => {
    const child = new Deno.Command(join(root, "ops"), {
      args: [
        "status",
        "--watch",
        "0.5",
        "--env",
        sharedStackEnv(),
      ],
      cwd: root,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const decoder = new TextDecoder();
    let text = "";
    const reader = child.stdout.getReader();
    const deadline = Date.now() + 30_000;
    while ((text.match(/^--- /gm) ?? []).length < 3 && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    child.kill("SIGINT");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    const { code } = await child.status;
    const stderr = decoder.decode(await new Response(child.stderr).arrayBuffer());
    expect(code, stderr).toBe(0);
    const rounds = text.split(/^--- .*$/m).slice(1).filter((r) => r.trim());
    expect(rounds.length).toBeGreaterThanOrEqual(3);
    for (const round of rounds.slice(0, 3)) {
      for (const name of ["opensearch", "postgres", "redis"]) {
        expect(round).toMatch(new RegExp(`^${name} state=running health=healthy `, "m"));
      }
    }
    const stamps = [...text.matchAll(/^--- (\S+)$/gm)].map((m) => Date.parse(m[1]!));
    expect(stamps[1]! - stamps[0]!).toBeGreaterThanOrEqual(400);
  });

  it("refuses a watch interval below half a second", async () => {
    const run = await new Deno.Command(join(root, "ops"), {
      args: [
        "status",
        "--watch",
        "0.1",
        "--env",
        sharedStackEnv(),
      ],
      cwd: root,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    expect(run.code).toBe(2);
    expect(new TextDecoder().decode(run.stderr)).toContain(
      "--watch of status must be at least 0.5",
    );
  });
});
