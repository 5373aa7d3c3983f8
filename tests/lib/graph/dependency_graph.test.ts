import { describe, expect, it } from "vitest";
import { UsageError } from "../../../lib/errors.ts";
import {
  dependenciesOf,
  dependencyWaves,
  dependentsOf,
  stopWaves,
} from "../../../lib/graph/mod.ts";

const stack = {
  postgres: [],
  opensearch: [],
  redis: [],
  web: ["postgres", "opensearch", "redis"],
  ingestor: ["postgres", "opensearch", "redis"],
};

describe("dependency graph", () => {
  it("starts base services in the first wave and their dependents after them", () => {
    expect(dependencyWaves(stack)).toEqual([["opensearch", "postgres", "redis"], [
      "ingestor",
      "web",
    ]]);
  });

  it("places a service one wave after its deepest dependency", () => {
    expect(dependencyWaves({ a: [], b: ["a"], c: ["b"], d: ["a"] })).toEqual([["a"], ["b", "d"], [
      "c",
    ]]);
  });

  it("stops in the reverse order of starting", () => {
    expect(stopWaves(stack)).toEqual([["ingestor", "web"], ["opensearch", "postgres", "redis"]]);
  });

  it("refuses a dependency cycle and names it", () => {
    const cyclic = { a: ["c"], b: ["a"], c: ["b"], d: [] };
    expect(() => dependencyWaves(cyclic)).toThrow(UsageError);
    expect(() => dependencyWaves(cyclic)).toThrow("dependency cycle: a -> c -> b -> a");
  });

  it("refuses a service that depends on itself", () => {
    expect(() => dependencyWaves({ web: ["web"] })).toThrow("dependency cycle: web -> web");
  });

  it("names an unknown dependency", () => {
    expect(() => dependencyWaves({ web: ["postgress"] })).toThrow(
      'service "web" depends on unknown service "postgress"',
    );
  });

  it("lists transitive dependents and dependencies", () => {
    const graph = { a: [], b: ["a"], c: ["b"], d: [] };
    expect(dependentsOf(graph, "a")).toEqual(["b", "c"]);
    expect(dependentsOf(graph, "d")).toEqual([]);
    expect(dependenciesOf(graph, "c")).toEqual(["a", "b"]);
  });
});
