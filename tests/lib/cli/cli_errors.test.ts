import { describe, expect, it } from "vitest";
import { ops } from "../../helpers/test_stack.ts";

// The CLI's input errors need no running server: they must fail before touching one.
const env = "local";

describe("command line input errors", () => {
  it("suggests the closest task for an unknown one and exits 2", async () => {
    const run = await ops(env, ["postgress:start"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown task "postgress:start"');
    expect(run.stderr).toContain("did you mean 'postgres:start'?");
  });

  it("suggests the closest option for an unknown one and exits 2", async () => {
    const run = await ops(env, ["health", "--wiat", "3"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown option --wiat for health");
    expect(run.stderr).toContain("did you mean --wait?");
  });

  it("refuses a non-numeric value for a number option", async () => {
    const run = await ops(env, ["redis:logs", "--tail", "many"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--tail of redis:logs must be a number, got "many"');
  });

  it("names an unknown environment and exits 2", async () => {
    const run = await ops("producton", ["status"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("did you mean 'production'?");
  });

  it("names the missing Docker CLI for a compose environment and exits 2", async () => {
    const run = await ops("staging", ["status"], {
      env: {
        HAILMARY_STAGING_POSTGRES_PASSWORD: "x1234",
        HAILMARY_STAGING_REDIS_PASSWORD: "y1234",
        OPS_DOCKER: "/nonexistent/docker",
      },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("the compose runtime drives the Docker CLI");
  });

  it("prints help for a task with its options", async () => {
    const run = await ops(env, ["health", "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("usage: ./ops health [options]");
    expect(run.stdout).toContain("--junit FILE");
  });

  it("prints every failure as one JSON document on stdout with --json: code, message, hint", async () => {
    const cases: [string, string[], number, RegExp][] = [
      [env, ["postgress:start", "--json"], 2, /unknown task "postgress:start"/],
      [env, ["health", "--wiat", "3", "--json"], 2, /unknown option --wiat/],
      [env, ["redis:logs", "--tail", "many", "--json"], 2, /must be a number/],
      ["producton", ["status", "--json"], 2, /producton/],
      [env, ["postgres:restore", "no-such-backup", "--yes", "--json"], 2, /no-such-backup/],
    ];
    for (const [environment, args, code, message] of cases) {
      const run = await ops(environment, args);
      expect(run.code, args.join(" ")).toBe(code);
      const document = JSON.parse(run.stdout) as {
        error: { code: number; message: string; hint: string | null };
      };
      expect(Object.keys(document)).toEqual(["error"]);
      expect(Object.keys(document.error).sort()).toEqual(["code", "hint", "message"]);
      expect(document.error.code).toBe(code);
      expect(document.error.message).toMatch(message);
      expect(run.stdout.trim().split("\n")).toHaveLength(1);
    }
  });
});
