/** Locations inside the project checkout. */
import { dirname, fromFileUrl, isAbsolute, join, resolve } from "./posix_path.ts";

/** The project root: the folder holding `deno.json` and `mod.ts`. */
export const projectRoot: string = resolve(dirname(fromFileUrl(import.meta.url)), "..");

/** Folder of the service definitions (`services/<name>/service.ts`). */
export const servicesDir: string = join(projectRoot, "services");

/** Folder of the environment files. */
export const environmentsDir: string = join(projectRoot, "environments");

/**
 * The folder the command was typed in: `OPS_CWD`, which `./ops` sets to the
 * caller's `$PWD` before it changes to the checkout, else this process's own.
 */
export function typedInFolder(): string {
  return Deno.env.get("OPS_CWD") || Deno.cwd();
}

/**
 * Resolves a path the operator typed (`--env FILE`, `--junit FILE`) against
 * the folder the command was typed in.
 */
export function resolveTyped(path: string): string {
  return isAbsolute(path) ? resolve(path) : resolve(typedInFolder(), path);
}

/** Resolves a path from a config file against the project root. */
export function resolveFromRoot(path: string): string {
  return isAbsolute(path) ? path : resolve(projectRoot, path);
}
