/**
 * The project's own import graph as `deno info --json` reads it, and the two
 * rules it must keep: every import points down the layers (entry points →
 * tasks → dashboard → services → lib), and no local modules import each
 * other, directly or round a longer loop.
 * @module
 */
import { root } from "./test_stack.ts";

/** Imports between local modules: importer → imported, paths relative to the project root. */
export type ModuleGraph = Map<string, Set<string>>;

/** The entry points: the library API, the CLI deno.json runs, the dashboard's fast entry. */
export const entryPoints = ["mod.ts", "tasks/cli.ts", "tui/cli.ts"] as const;

/** Product folders whose every module joins the graph, also those loaded by a computed specifier. */
const sourceFolders = ["lib", "services", "tasks", "tui"] as const;

interface InfoDependency {
  code?: { specifier?: string };
  type?: { specifier?: string };
}

/** A module's layer: an import may only point at the same layer or one below. */
export function layerOf(path: string): { rank: number; name: string } {
  if ((entryPoints as readonly string[]).includes(path)) return { rank: 5, name: "entry point" };
  if (path.startsWith("tasks/")) return { rank: 4, name: "tasks" };
  if (path.startsWith("tui/")) return { rank: 3, name: "dashboard" };
  if (path.startsWith("services/")) return { rank: 2, name: "services" };
  if (path.startsWith("lib/")) return { rank: 1, name: "lib" };
  return { rank: 6, name: "outside the product" };
}

function serviceFolder(path: string): string | undefined {
  return path.startsWith("services/") ? path.split("/")[1] : undefined;
}

/** Imports that point up a layer, or from one service folder into another. */
export function upwardImports(graph: ModuleGraph): string[] {
  const found: string[] = [];
  for (const [from, targets] of graph) {
    for (const to of targets) {
      const a = layerOf(from);
      const b = layerOf(to);
      if (b.rank > a.rank) found.push(`${from} (${a.name}) imports ${to} (${b.name})`);
      else if (
        serviceFolder(from) && serviceFolder(to) && serviceFolder(from) !== serviceFolder(to)
      ) {
        found.push(`${from} imports another service's ${to}`);
      }
    }
  }
  return found.sort();
}

/** Every group of modules that import each other (strongly connected components), each sorted. */
export function importCycles(graph: ModuleGraph): string[][] {
  // Tarjan's algorithm, iterative: the graph has a few hundred modules
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (start: string) => {
    const work: { node: string; targets: string[] }[] = [];
    const open = (node: string) => {
      index.set(node, next);
      low.set(node, next);
      next++;
      stack.push(node);
      onStack.add(node);
      work.push({ node, targets: [...(graph.get(node) ?? [])] });
    };
    open(start);
    while (work.length) {
      const frame = work.at(-1)!;
      const target = frame.targets.pop();
      if (target !== undefined) {
        if (!index.has(target)) open(target);
        else if (onStack.has(target)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(target)!));
        }
        continue;
      }
      work.pop();
      const parent = work.at(-1);
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) !== index.get(frame.node)) continue;
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== frame.node);
      const selfImport = graph.get(frame.node)?.has(frame.node) ?? false;
      if (component.length > 1 || selfImport) cycles.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** The .ts and .tsx files under a folder of the project (paths relative to its root). */
export async function sourceFiles(folder: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(`${root}/${folder}`)) {
    const path = `${folder}/${entry.name}`;
    if (entry.isDirectory && entry.name !== "node_modules") files.push(...await sourceFiles(path));
    else if (entry.isFile && /\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts")) {
      files.push(path);
    }
  }
  return files;
}

/**
 * The import graph (static, dynamic and type-only imports) of the entry
 * points and of every module under lib/, services/, tasks/ and tui/, from one
 * `deno info --json` run over a module that imports them all.
 */
export async function projectModuleGraph(): Promise<ModuleGraph> {
  const files: string[] = [...entryPoints];
  for (const folder of sourceFolders) files.push(...await sourceFiles(folder));
  const dir = await Deno.makeTempDir({ prefix: "module-graph-" });
  try {
    const rootModule = `${dir}/all_modules.ts`;
    await Deno.writeTextFile(
      rootModule,
      files.map((f) => `import ${JSON.stringify(`file://${root}/${f}`)};\n`).join(""),
    );
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", `--config=${root}/deno.json`, rootModule],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (code !== 0) throw new Error(`deno info failed: ${new TextDecoder().decode(stderr)}`);
    const info = JSON.parse(new TextDecoder().decode(stdout)) as {
      modules: { specifier: string; dependencies?: InfoDependency[] }[];
    };
    const local = (specifier: string | undefined) =>
      specifier?.startsWith(`file://${root}/`) ? specifier.slice(`file://${root}/`.length) : null;
    const graph: ModuleGraph = new Map();
    for (const module of info.modules) {
      const from = local(module.specifier);
      if (from === null) continue;
      const targets = new Set<string>();
      for (const dep of module.dependencies ?? []) {
        for (const target of [local(dep.code?.specifier), local(dep.type?.specifier)]) {
          if (target !== null) targets.add(target);
        }
      }
      graph.set(from, targets);
    }
    return graph;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
