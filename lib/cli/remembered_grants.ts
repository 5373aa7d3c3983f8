/**
 * Write grants remembered per environment file. A task of the `ops` set run
 * for an environment that keeps its state or backups outside the set's
 * folders starts itself again with exactly those folders granted (see
 * `rerun_with_grants.ts`): a second Deno start, about 0.15 s on every run.
 * The first such run writes the flag it used into `.ops/grants/`, and
 * `./ops` puts it on the command line of the next run for the same file,
 * which then starts once. `./ops` ignores a remembered flag older than the
 * environment file or deno.json; a run that still lacks something starts
 * itself again as before. Only the environment's own two folders are
 * remembered, never output files or a task's own needs.
 * @module
 */
import { join } from "../posix_path.ts";
import { environmentsDir, projectRoot, typedInFolder } from "../project_paths.ts";
import { isEnvironmentPath } from "../config/load_environment.ts";

/** The folder of remembered grants (written by the `ops` set only). */
export const grantsDir = join(projectRoot, ".ops", "grants");

/**
 * The environment file as `./ops` spells it from `--env` (or `OPS_ENV`):
 * an absolute path as typed, a relative one after the folder it was typed
 * in, a name as `environments/<name>.yaml` of the checkout. Not normalised:
 * `./ops` has no cheap way to, and a spelling that differs only misses.
 */
export function typedEnvironmentKey(nameOrPath: string): string {
  if (!isEnvironmentPath(nameOrPath)) return `${environmentsDir}/${nameOrPath}.yaml`;
  return nameOrPath.startsWith("/") ? nameOrPath : `${typedInFolder()}/${nameOrPath}`;
}

/** The remembered file of an environment file: its path with each `/` as `%` (what `./ops` computes). */
export function grantsFile(key: string): string {
  return join(grantsDir, key.replaceAll("/", "%"));
}

/** Remembers the `--allow-write=...` flag a run of the `ops` set needed for an environment file; a failure only loses the shortcut. */
export async function rememberGrants(key: string, flag: string): Promise<void> {
  if (!flag.startsWith("--allow-write=") || /\s/.test(flag)) return;
  try {
    await Deno.mkdir(grantsDir, { recursive: true });
    const target = grantsFile(key);
    await Deno.writeTextFile(`${target}.${Deno.pid}.tmp`, `${flag}\n`);
    await Deno.rename(`${target}.${Deno.pid}.tmp`, target);
  } catch {
    // a name too long for the file system, a read-only checkout: the next run starts twice
  }
}
