import { join } from "../posix_path.ts";
import { UsageError } from "../errors.ts";
import { servicesDir as defaultServicesDir } from "../project_paths.ts";
import type { AnyServiceDefinition } from "./define_service.ts";
import { serviceFolderNames } from "./service_folders.ts";

/**
 * Loads every `services/<name>/service.ts`, sorted by name. A service is added
 * by adding its folder; nothing else in the engine changes.
 * @throws {UsageError} when a definition's name does not match its folder.
 */
export async function loadServices(
  dir: string = defaultServicesDir,
): Promise<AnyServiceDefinition[]> {
  const definitions = await Promise.all(
    serviceFolderNames(dir).map(async (name) => {
      const mod = await import(new URL(`file://${join(dir, name, "service.ts")}`).href) as {
        default?: AnyServiceDefinition;
      };
      const def = mod.default;
      if (!def || def.name !== name) {
        throw new UsageError(
          `services/${name}/service.ts must default-export defineService({ name: "${name}", ... })`,
        );
      }
      return def;
    }),
  );
  return definitions;
}
