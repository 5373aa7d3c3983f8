/** Locations inside the project checkout. */
import { dirname, fromFileUrl, isAbsolute, join, resolve } from "./posix_path.ts";

/** The project root: the folder holding `deno.json` and `mod.ts`. */
export const projectRoot: string = resolve(dirname(fromFileUrl(import.meta.url)), "..");

/** Folder of the service definitions (`services/<name>/service.ts`). */
export const servicesDir: string = join(projectRoot, "services");

/** Folder of the environment files. */
export const environmentsDir: string = join(projectRoot, "environments");

/** Resolves a path from a config file against the project root. */
export function resolveFromRoot(path: string): string {
  return isAbsolute(path) ? path : resolve(projectRoot, path);
}
