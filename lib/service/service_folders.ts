import { join } from "../posix_path.ts";
import { servicesDir } from "../project_paths.ts";

/**
 * The service folders: the names of `services/<name>/` that hold a
 * `service.ts`, sorted, without importing any of them. The one scan the
 * service loader, the task registry and the environment snapshot share;
 * folders starting with `_` or `.` and folders without `service.ts` (shared
 * assets) are not services.
 */
export function serviceFolderNames(dir: string = servicesDir): string[] {
  const names: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    if (!entry.isDirectory || entry.name.startsWith("_") || entry.name.startsWith(".")) continue;
    try {
      Deno.statSync(join(dir, entry.name, "service.ts"));
      names.push(entry.name);
    } catch {
      // not a service folder
    }
  }
  return names.sort();
}
