import { describe, expect, it } from "vitest";
import { loadServices } from "../../../lib/service/load_services.ts";
import { serviceFolderNames } from "../../../lib/service/service_folders.ts";
import { capabilitiesFromTasks } from "../../../lib/task/service_capabilities.ts";
import { taskRegistry } from "../../../tasks/registry.ts";

describe("what a service offers", () => {
  it("lists in its definition exactly the actions of its tasks in the registry", async () => {
    const tasks = taskRegistry();
    const definitions = await loadServices();
    expect(definitions.length).toBeGreaterThanOrEqual(5);
    for (const definition of definitions) {
      expect([...definition.capabilities].sort(), `services/${definition.name}/service.ts`)
        .toEqual(capabilitiesFromTasks(tasks, definition.name));
    }
  });

  it("has the backup catalog tasks exactly where a service offers backup", () => {
    const tasks = taskRegistry();
    for (const service of serviceFolderNames()) {
      const ids = new Set(tasks.filter((t) => t.service === service).map((t) => t.action));
      for (const action of ["backups", "verify", "prune"]) {
        expect(ids.has(action), `${service}:${action}`).toBe(ids.has("backup"));
      }
    }
  });

  it("derives the capabilities from tasks, leaving out the common and catalog actions", () => {
    const tasks = [
      { service: "redis", action: "start" },
      { service: "redis", action: "scale" },
      { service: "redis", action: "flush" },
      { service: "redis", action: "backup" },
      { service: "redis", action: "backups" },
      { service: "postgres", action: "psql" },
      { action: "up" },
    ];
    expect(capabilitiesFromTasks(tasks, "redis")).toEqual(["backup", "flush"]);
    expect(capabilitiesFromTasks(tasks, "web")).toEqual([]);
  });

  it("is read from one scan of the service folders, shared by the loader and the registry", async () => {
    const names = serviceFolderNames();
    expect(names).toEqual(["ingestor", "opensearch", "postgres", "redis", "web"]);
    expect((await loadServices()).map((d) => d.name)).toEqual(names);
    const lifecycle = taskRegistry().filter((t) => t.action === "start").map((t) => t.service);
    expect(lifecycle).toEqual(names);
  });
});
