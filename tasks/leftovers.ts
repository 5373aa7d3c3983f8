/**
 * `cleanup --leftovers`: what interrupted runs left behind (scratch
 * databases, temp files, snapshot repositories, temp backup folders), listed,
 * then removed where the run that made it is gone.
 * @module
 */
import { join } from "../lib/posix_path.ts";
import { findTempFolders, setsFolder } from "../lib/backup/mod.ts";
import { errorMessage, OpsError } from "../lib/errors.ts";
import { describeLeftover, type FoundLeftover, type Leftover } from "../lib/leftovers/mod.ts";
import { findScratchDatabases } from "../lib/postgres/scratch_databases.ts";
import { findRecoveryLeftovers } from "../lib/postgres/recovery_place.ts";
import type { TaskContext } from "../lib/task/task_context.ts";
import { findOpenSearchLeftovers } from "./opensearch_backup.ts";
import { findRedisLeftovers } from "./redis_backup.ts";

/** Somewhere `cleanup --leftovers` could not look, and why. */
export interface UncheckedPlace {
  service: string;
  /** What could not be looked for (`scratch databases`). */
  what: string;
  reason: string;
}

/** What `cleanup --leftovers` returns. */
export interface LeftoversResult {
  environment: string;
  /** Removed: the run that made them is gone. */
  removed: Leftover[];
  /** Kept: the run that made them still runs (or runs on another host). */
  kept: Leftover[];
  /** Of a gone run, but removing them failed. */
  failed: (Leftover & { error: string })[];
  /** Where nothing could be looked for (a server that is not running). */
  unchecked: UncheckedPlace[];
}

/**
 * Finds the leftovers of the selected services (scratch databases need
 * postgres running, snapshot repositories need opensearch running; temp
 * files and catalog folders are read from disk), lists them, asks once, then
 * removes those whose owner is gone.
 * @throws {UsageError} when not confirmed.
 */
export async function cleanLeftovers(
  ctx: TaskContext,
  services: ReadonlySet<string>,
): Promise<LeftoversResult> {
  const found: FoundLeftover[] = [];
  const unchecked: UncheckedPlace[] = [];
  const look = async (
    service: string,
    what: string,
    needsServer: boolean,
    find: () => Promise<FoundLeftover[]>,
  ) => {
    if (!services.has(service)) return;
    if (needsServer) {
      const state = (await ctx.runtime.inspect(ctx.service(service))).state;
      if (state !== "running") {
        unchecked.push({
          service,
          what,
          reason: `${service} is ${state}: start it to look for ${what}`,
        });
        return;
      }
    }
    try {
      found.push(...await find());
    } catch (error) {
      if (!(error instanceof OpsError)) throw error;
      unchecked.push({ service, what, reason: errorMessage(error) });
    }
  };
  await look(
    "postgres",
    "scratch databases",
    true,
    () => findScratchDatabases(ctx.runtime, ctx.service("postgres")),
  );
  // a point-in-time restore that died leaves its scratch folder (and perhaps its server)
  await look(
    "postgres",
    "restore scratch folders",
    false,
    () => findRecoveryLeftovers(ctx.runtime, ctx.service("postgres")),
  );
  await look("redis", "temp files", false, () => findRedisLeftovers(ctx));
  await look("opensearch", "snapshot repositories", true, () => findOpenSearchLeftovers(ctx));
  found.push(...await catalogTempFolders(ctx, services));

  for (const { leftover: l } of found) {
    ctx.output.info(`${l.stale ? "to remove" : "to keep  "}  ${describeLeftover(l)}`);
  }
  for (const u of unchecked) ctx.output.info(`not checked  ${u.service} ${u.what}: ${u.reason}`);
  const result: LeftoversResult = {
    environment: ctx.environment.name,
    removed: [],
    kept: found.filter((f) => !f.leftover.stale).map((f) => f.leftover),
    failed: [],
    unchecked,
  };
  const stale = found.filter((f) => f.leftover.stale);
  if (stale.length === 0) return result;
  await ctx.confirm(`remove ${stale.length} leftover(s) of interrupted runs`);
  for (const item of stale) {
    try {
      await item.remove();
      result.removed.push(item.leftover);
    } catch (error) {
      result.failed.push({ ...item.leftover, error: errorMessage(error) });
    }
  }
  return result;
}

/** The temp folders of every catalog folder of the selected services (and of the sets, with all selected). */
async function catalogTempFolders(
  ctx: TaskContext,
  services: ReadonlySet<string>,
): Promise<FoundLeftover[]> {
  const all = ctx.environment.services.every((s) => services.has(s.definition.name));
  const folders = [...services, ...(all ? [setsFolder] : [])];
  const found: FoundLeftover[] = [];
  for (const folder of folders) {
    found.push(...await findTempFolders(join(ctx.environment.backupDir, folder)));
  }
  return found;
}
