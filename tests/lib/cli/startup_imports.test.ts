import { describe, expect, it } from "vitest";
import { root } from "../../helpers/test_stack.ts";

interface ModuleInfo {
  specifier: string;
  dependencies?: { specifier: string; isDynamic?: boolean; code?: { specifier?: string } }[];
}

/** npm and node: modules reachable from an entry through static imports only (what loads at start). */
async function staticHeavyImports(entry: string): Promise<Record<string, string[]>> {
  const { stdout, code } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: root,
    stdout: "piped",
    stderr: "null",
  }).output();
  expect(code).toBe(0);
  const info = JSON.parse(new TextDecoder().decode(stdout)) as {
    roots: string[];
    modules: ModuleInfo[];
  };
  const modules = new Map(info.modules.map((m) => [m.specifier, m]));
  const heavy: Record<string, string[]> = {};
  const seen = new Set<string>();
  const stack = [...info.roots];
  while (stack.length) {
    const spec = stack.pop()!;
    if (seen.has(spec)) continue;
    seen.add(spec);
    for (const dep of modules.get(spec)?.dependencies ?? []) {
      const target = dep.code?.specifier;
      if (!target || dep.isDynamic) continue;
      if (target.startsWith("npm:") || target.startsWith("node:")) {
        (heavy[target.replace(/@[\d.]+.*$/, "")] ??= []).push(spec.replace(`file://${root}/`, ""));
      } else stack.push(target);
    }
  }
  return heavy;
}

// Deno starts in ~20 ms; one npm client or the Node compatibility layer (node:*)
// costs 10-150 ms more. `--help`, `status` and `health` must not pay for them.
describe("start-up path", () => {
  it("loads no npm package and no node: module before a task runs", async () => {
    expect(await staticHeavyImports("lib/cli/main.ts")).toEqual({});
    expect(await staticHeavyImports("tasks/registry.ts")).toEqual({});
  });
});
