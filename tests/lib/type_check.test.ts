/**
 * Fitness: every TypeScript file of the project type-checks, tests, scripts
 * and benchmarks included. vitest strips types without checking them, and the
 * CLI loads modules lazily, so a type error (or a syntax slip in a module only
 * some task imports) would otherwise first show when that path runs.
 */
import { describe, expect, it } from "vitest";
import { root } from "../helpers/test_stack.ts";
import { sourceFiles } from "../helpers/module_graph.ts";

const folders = ["lib", "tasks", "services", "tui", "tests", "scripts", "bench"];

describe("type checking", () => {
  it("deno check passes on every .ts and .tsx file of the project", async () => {
    const files = ["mod.ts"];
    for (const folder of folders) files.push(...await sourceFiles(folder));
    expect(files.length).toBeGreaterThan(300);
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--quiet", ...files],
      cwd: root,
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const errors = new TextDecoder().decode(stderr);
    // the errors themselves, so a failure reads as deno check's own report
    expect(errors.split("\n").filter((l) => /ERROR|error:|\bat file:/.test(l))).toEqual([]);
    expect(code).toBe(0);
  }, 600_000);
});
