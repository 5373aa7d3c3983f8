import { beforeAll, describe, expect, it } from "vitest";
import {
  entryPoints,
  importCycles,
  type ModuleGraph,
  projectModuleGraph,
  upwardImports,
} from "../helpers/module_graph.ts";

const graphOf = (edges: Record<string, string[]>): ModuleGraph =>
  new Map(Object.entries(edges).map(([from, to]) => [from, new Set(to)]));

describe("layering: entry points → tasks → dashboard → services → lib", () => {
  let graph: ModuleGraph;
  beforeAll(async () => {
    graph = await projectModuleGraph();
  });

  it("reads the whole product: every entry point and the modules loaded by a computed specifier", () => {
    for (const entry of entryPoints) expect(graph.has(entry)).toBe(true);
    // loaded by URL at run time (the service loader, the dashboard loader)
    expect(graph.has("services/postgres/service.ts")).toBe(true);
    expect(graph.has("tui/Dashboard.tsx")).toBe(true);
    expect(graph.get("mod.ts")).toContain("tasks/registry.ts");
    expect(graph.size).toBeGreaterThan(200);
  });

  it("has no import that points up a layer or into another service's folder", () => {
    expect(upwardImports(graph)).toEqual([]);
  });

  it("has no import cycle among local modules, type-only imports included", () => {
    expect(importCycles(graph)).toEqual([]);
  });
});

describe("layering rules", () => {
  it("names an upward import with both layers", () => {
    const graph = graphOf({
      "lib/postgres/postgres_access.ts": ["services/postgres/service.ts", "lib/errors.ts"],
      "tasks/tui.ts": ["tui/load_dashboard.ts"],
      "tui/Dashboard.tsx": ["tasks/registry.ts"],
      "services/web/service.ts": ["services/ingestor/service.ts"],
    });
    expect(upwardImports(graph)).toEqual([
      "lib/postgres/postgres_access.ts (lib) imports services/postgres/service.ts (services)",
      "services/web/service.ts imports another service's services/ingestor/service.ts",
      "tui/Dashboard.tsx (dashboard) imports tasks/registry.ts (tasks)",
    ]);
  });

  it("names every module of a cycle, short or long, and nothing outside it", () => {
    const graph = graphOf({
      "lib/opensearch/reindex.ts": ["lib/opensearch/copy_documents.ts"],
      "lib/opensearch/copy_documents.ts": ["lib/opensearch/reindex.ts", "lib/errors.ts"],
      "lib/config/mod.ts": ["lib/config/load_environment.ts"],
      "lib/config/load_environment.ts": ["lib/service/service_context.ts"],
      "lib/service/service_context.ts": ["lib/config/mod.ts"],
      "lib/errors.ts": [],
    });
    expect(importCycles(graph)).toEqual([
      ["lib/config/load_environment.ts", "lib/config/mod.ts", "lib/service/service_context.ts"],
      ["lib/opensearch/copy_documents.ts", "lib/opensearch/reindex.ts"],
    ]);
  });
});
