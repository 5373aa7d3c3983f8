import { dirname, join } from "../posix_path.ts";
import { projectRoot, resolveTyped, typedInFolder } from "../project_paths.ts";
import { UsageError } from "../errors.ts";
import { lazyImportsFlag } from "./deno_task_entries.ts";
import { partialPath } from "../output/output_file.ts";
import { rememberGrants } from "./remembered_grants.ts";
import type { Environment } from "../config/mod.ts";
export { installed } from "../runtime/installed_programs.ts";
export { typedEnvironmentKey } from "./remembered_grants.ts";

/** How many times the CLI has started itself for this command (in the environment of each run). */
const rerunMarker = "OPS_GRANT_DEPTH";

/**
 * At most twice: once for the programs the runtime needs to find its
 * services (docker), once more for the addresses it then finds.
 */
const maxDepth = 2;

/** What one run needs beyond its permission set: exact addresses, paths and programs. */
export interface Grants {
  /** `host:port` of services the runtime moved off loopback (compose services without a published port). */
  net: string[];
  /** Folders and files outside the set's folders: the environment's state and backups, output files. */
  write: string[];
  /** Programs of the environment's runtime outside the set (`docker` for compose environments). */
  run: string[];
  /**
   * The environment's own folders among `write`, remembered for its file
   * (`./ops` grants them up front next time, see `remembered_grants.ts`).
   */
  remember?: { key: string; write: string[] };
}

/** True when this process already has every grant of `grants`. */
export function allGranted(grants: Grants): boolean {
  return grants.net.every((host) => granted({ name: "net", host })) &&
    grants.write.every((path) => granted({ name: "write", path })) &&
    grants.run.every((command) => granted({ name: "run", command }));
}

function granted(descriptor: Deno.PermissionDescriptor): boolean {
  return Deno.permissions.querySync(descriptor).state === "granted";
}

/** The `host:port` addresses the runtime moved the environment's services to (off loopback). */
export function serviceAddresses(environment: Environment): string[] {
  return environment.services.flatMap((service) =>
    service.host && service.port !== undefined ? [`${service.host}:${service.port}`] : []
  );
}

/**
 * A file the user named for output (`health --junit FILE`): absolute (a
 * relative path is taken from the folder the command was typed in, which
 * `./ops` passes as OPS_CWD), with the paths writing it needs: the file,
 * its temporary twin, and its folder when that has to be created.
 */
export function outputTarget(path: string): { path: string; grants: string[] } {
  const absolute = resolveTyped(path);
  const folder = dirname(absolute);
  let folderExists = true;
  try {
    Deno.statSync(folder);
  } catch {
    folderExists = false;
  }
  return {
    path: absolute,
    grants: [absolute, partialPath(absolute), ...(folderExists ? [] : [firstMissing(folder)])],
  };
}

function firstMissing(folder: string): string {
  let missing = folder;
  for (let parent = dirname(missing); parent !== missing; parent = dirname(missing)) {
    try {
      Deno.statSync(parent);
      return missing;
    } catch {
      missing = parent;
    }
  }
  return missing;
}

/**
 * Runs this command again with the named permission set of deno.json plus
 * exactly `grants` (Deno has no address ranges, a container's address is
 * known only once it runs, and the state folder of an environment only once
 * its file is read), and exits with its code. The permission sets stay
 * narrow for every other run. Signals reach the run through this process;
 * the run stops by itself when this process dies.
 * @throws {UsageError} when the runs so started still lack access, or Deno cannot start itself.
 */
export async function rerunWithGrants(grants: Grants, permissionSet: string): Promise<void> {
  const depth = Number(Deno.env.get(rerunMarker) ?? "0") || 0;
  const needs = [...grants.net, ...grants.write, ...grants.run].join(", ");
  if (depth >= maxDepth) {
    throw new UsageError(
      `this run lacks access to ${needs}`,
      `add them to the "${permissionSet}" permission set of deno.json, or run with --allow-all`,
    );
  }
  if (Deno.permissions.querySync({ name: "run", command: Deno.execPath() }).state !== "granted") {
    throw new UsageError(
      `this run needs access to ${needs}, and may not start Deno (${Deno.execPath()}) to get it`,
      "run the task through ./ops, which uses the Deno that deno.json's permission sets name",
    );
  }
  const config = JSON.parse(await Deno.readTextFile(join(projectRoot, "deno.json"))) as {
    permissions?: Record<
      string,
      { net?: string[] | boolean; write?: string[] | boolean; run?: string[] | boolean }
    >;
  };
  const set = config.permissions?.[permissionSet] ?? {};
  const widen = (flag: string, base: string[] | boolean | undefined, extra: string[]) => {
    if (extra.length === 0 || base === true) return [];
    const listed = Array.isArray(base) ? base.map((entry) => resolveListed(flag, entry)) : [];
    return [`--allow-${flag}=${[...new Set([...listed, ...extra])].join(",")}`];
  };
  if (grants.remember && permissionSet === "ops") {
    const [flag] = widen("write", set.write, grants.remember.write);
    if (flag) await rememberGrants(grants.remember.key, flag);
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-q",
      `-P=${permissionSet}`,
      lazyImportsFlag,
      ...widen("net", set.net, grants.net),
      ...widen("write", set.write, grants.write),
      ...widen("run", set.run, grants.run),
      new URL(Deno.mainModule).pathname,
      ...Deno.args,
    ],
    cwd: projectRoot,
    // the run starts in the checkout but takes relative paths (`--env ./pitr.yaml`, output
    // files) from the folder this one took them from: both resolve them to the same files
    env: {
      [rerunMarker]: String(depth + 1),
      OPS_PARENT_PID: String(Deno.pid),
      OPS_CWD: typedInFolder(),
    },
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  // signals are passed on (a terminal's Ctrl-C reaches the run twice, which changes
  // nothing): the run decides how it ends, and this process exits with its code
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    Deno.addSignalListener(signal, () => {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
    });
  }
  const { code } = await child.status;
  Deno.exit(code);
}

/** An entry of a deno.json set as a flag takes it: paths absolute (deno.json's are relative to it), names and hosts as they are. */
function resolveListed(flag: string, entry: string): string {
  if (flag === "net" || entry.startsWith("/")) return entry;
  if (flag === "run" && !entry.includes("/")) return entry;
  return join(projectRoot, entry);
}
