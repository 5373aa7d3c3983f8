import { UsageError } from "../errors.ts";

/** Service name → names it depends on. */
export type DependencyMap = Record<string, readonly string[]>;

/**
 * Groups services into start waves: every service starts after all of its
 * dependencies' wave. Services inside a wave can start in parallel.
 * @throws {UsageError} on a cycle (named, e.g. "web -> api -> web") or an unknown dependency.
 */
export function dependencyWaves(graph: DependencyMap): string[][] {
  assertAcyclic(graph);
  const level = new Map<string, number>();
  const visit = (name: string): number => {
    const known = level.get(name);
    if (known !== undefined) return known;
    const deps = graph[name] ?? [];
    const value = deps.length === 0 ? 0 : Math.max(...deps.map(visit)) + 1;
    level.set(name, value);
    return value;
  };
  for (const name of Object.keys(graph)) visit(name);
  const waves: string[][] = [];
  for (const [name, l] of level) (waves[l] ??= []).push(name);
  return waves.map((w) => w.sort());
}

/** Stop order: the start waves reversed (dependents stop before their dependencies). */
export function stopWaves(graph: DependencyMap): string[][] {
  return dependencyWaves(graph).reverse();
}

/** Every service that depends on `name`, directly or through others, sorted. */
export function dependentsOf(graph: DependencyMap, name: string): string[] {
  const out = new Set<string>();
  const queue = [name];
  while (queue.length) {
    const current = queue.shift()!;
    for (const [candidate, deps] of Object.entries(graph)) {
      if (deps.includes(current) && !out.has(candidate)) {
        out.add(candidate);
        queue.push(candidate);
      }
    }
  }
  return [...out].sort();
}

/** Every service `name` needs, directly or through others, sorted. */
export function dependenciesOf(graph: DependencyMap, name: string): string[] {
  const out = new Set<string>();
  const queue = [...(graph[name] ?? [])];
  while (queue.length) {
    const current = queue.shift()!;
    if (out.has(current)) continue;
    out.add(current);
    queue.push(...(graph[current] ?? []));
  }
  return [...out].sort();
}

/**
 * Refuses unknown dependencies and cycles.
 * @throws {UsageError} naming the cycle path or the unknown dependency.
 */
export function assertAcyclic(graph: DependencyMap): void {
  for (const [name, deps] of Object.entries(graph)) {
    for (const dep of deps) {
      if (!(dep in graph)) {
        throw new UsageError(
          `service ${JSON.stringify(name)} depends on unknown service ${JSON.stringify(dep)}`,
          `add services/${dep}/service.ts or remove the dependency`,
        );
      }
    }
  }
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (name: string) => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") {
      const cycle = [...stack.slice(stack.indexOf(name)), name];
      throw new UsageError(
        `dependency cycle: ${cycle.join(" -> ")}`,
        "remove one of these dependsOn entries",
      );
    }
    state.set(name, "visiting");
    stack.push(name);
    for (const dep of graph[name] ?? []) visit(dep);
    stack.pop();
    state.set(name, "done");
  };
  for (const name of Object.keys(graph).sort()) visit(name);
}
