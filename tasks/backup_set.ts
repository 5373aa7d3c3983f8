/**
 * Stack backup sets: `backup` takes one backup of every data store of the
 * environment (postgres, redis, opensearch) and records them in one manifest
 * at `<backupDir>/sets/<id>/manifest.json`; `restore SET` restores all of
 * them in dependency order, after checking every checksum of every part.
 * @module
 */
import {
  type BackupSetPart,
  readBackup,
  setParts,
  setsFolder,
  verifyBackup,
  withBackupLock,
  writeBackup,
} from "../lib/backup/mod.ts";
import { FailedError } from "../lib/errors.ts";
import { dependencyWaves, dependentsOf } from "../lib/graph/mod.ts";
import { dependencyMap } from "../lib/stack/stack_status.ts";
import type { TaskContext } from "../lib/task/task_context.ts";
import { backupOpenSearch, restoreOpenSearch } from "./opensearch_backup.ts";
import { backupPostgres } from "./postgres_backup.ts";
import { restorePostgres } from "./postgres_restore.ts";
import { backupRedis, restoreRedis } from "./redis_backup.ts";

/** How a set takes and restores the backup of one service. */
interface SetMember {
  backup(ctx: TaskContext, label: string): Promise<{ id: string; totalBytes: number }>;
  restore(
    ctx: TaskContext,
    id: string,
    safetyBackup: boolean,
  ): Promise<{ safetyBackupId: string | null }>;
}

/** The data stores a set covers, by service name. */
const members: Record<string, SetMember> = {
  postgres: {
    backup: async (ctx, label) => {
      const r = await backupPostgres(ctx, { label, progressLabel: "postgres" });
      return { id: r.id, totalBytes: r.totalBytes };
    },
    restore: (ctx, id, safetyBackup) => restorePostgres(ctx, { id, safetyBackup, confirm: false }),
  },
  redis: {
    backup: async (ctx, label) => {
      const r = await backupRedis(ctx, { label });
      return { id: r.id, totalBytes: r.bytes };
    },
    restore: (ctx, id, safetyBackup) => restoreRedis(ctx, id, { safetyBackup, confirm: false }),
  },
  opensearch: {
    backup: async (ctx, label) => {
      const r = await backupOpenSearch(ctx, { label });
      return { id: r.id, totalBytes: r.bytes };
    },
    restore: (ctx, id, safetyBackup) =>
      restoreOpenSearch(ctx, id, { safetyBackup, confirm: false }),
  },
};

/** One part of a set as the tasks report it. */
export interface BackupSetPartResult extends BackupSetPart {
  durationMs: number;
}

/** What `backup` returns. */
export interface BackupSetResult {
  id: string;
  path: string;
  label: string | null;
  parts: BackupSetPartResult[];
  totalBytes: number;
  durationMs: number;
}

/** What `restore` returns. */
export interface BackupSetRestoreResult {
  id: string;
  parts: { service: string; id: string; safetyBackupId: string | null; durationMs: number }[];
  /** Running services that depend on the data stores: stopped first, started again after. */
  restartedDependents: string[];
  durationMs: number;
}

/** The services of the environment a set covers, in dependency order. */
function setServices(ctx: TaskContext): string[] {
  const configured = ctx.environment.services.filter((s) =>
    s.definition.capabilities.includes("backup")
  ).map((s) => s.definition.name);
  const unknown = configured.filter((name) => !(name in members));
  if (unknown.length) {
    throw new FailedError(
      `a backup set does not know how to back up ${unknown.join(", ")} yet`,
      { hint: "add it to the members of tasks/backup_set.ts" },
    );
  }
  return dependencyWaves(dependencyMap(ctx.environment)).flat().filter((name) =>
    configured.includes(name)
  );
}

/**
 * Takes one backup of every data store (one after the other, each under its
 * own lock) and writes the set manifest last. When a part fails there is no
 * set; the parts already taken stay as ordinary backups of their service.
 * @throws {UsageError} bad label; {BusyError} a part's lock is held; {FailedError} a part failed.
 */
export async function backupSet(
  ctx: TaskContext,
  options: { label?: string | undefined } = {},
): Promise<BackupSetResult> {
  const began = performance.now();
  const services = setServices(ctx);
  const parts: BackupSetPartResult[] = [];
  const entry = await withBackupLock(
    ctx.environment.backupDir,
    setsFolder,
    "backup",
    () =>
      writeBackup({
        backupDir: ctx.environment.backupDir,
        service: setsFolder,
        environment: ctx.environment.name,
        label: options.label,
        options: { services },
      }, async (writer) => {
        for (const service of services) {
          ctx.output.info(`backing up ${service}...`);
          const partBegan = performance.now();
          try {
            const part = await members[service]!.backup(ctx, `set ${writer.id}`);
            parts.push({
              service,
              id: part.id,
              totalBytes: part.totalBytes,
              durationMs: Math.round(performance.now() - partBegan),
            });
          } catch (error) {
            if (parts.length) {
              ctx.output.warn(
                `no backup set was written; the parts taken stay as ordinary backups: ${
                  parts.map((p) => `${p.service} ${p.id}`).join(", ")
                }`,
              );
            }
            throw error;
          }
        }
        return {
          details: {
            parts: parts.map(({ service, id, totalBytes }) => ({ service, id, totalBytes })),
          },
        };
      }),
  );
  return {
    id: entry.manifest.id,
    path: entry.path,
    label: entry.manifest.label,
    parts,
    totalBytes: parts.reduce((sum, p) => sum + p.totalBytes, 0),
    durationMs: Math.round(performance.now() - began),
  };
}

/**
 * Restores a backup set: every part is found and every checksum verified
 * before anything changes; one confirmation covers all parts; running
 * services that depend on the data stores (web, ingestor) are stopped first
 * and started again after; the parts are restored in dependency order, each
 * with its own safety backup unless refused.
 * @throws {UsageError} unknown set or part, not confirmed; {FailedError} damaged part or failed restore.
 */
export async function restoreSet(
  ctx: TaskContext,
  options: { id: string; safetyBackup: boolean },
): Promise<BackupSetRestoreResult> {
  const began = performance.now();
  const set = await readBackup(ctx.environment.backupDir, setsFolder, options.id, {
    what: "backup set",
    list: "./ops backup-sets",
    take: "./ops backup",
  });
  const parts = setParts(set.manifest.details);
  const order = dependencyWaves(dependencyMap(ctx.environment)).flat();
  for (const part of parts) {
    ctx.service(part.service);
    if (!(part.service in members)) {
      throw new FailedError(
        `backup set ${set.manifest.id} has a part for ${part.service}, which sets do not restore`,
      );
    }
  }
  parts.sort((a, b) => order.indexOf(a.service) - order.indexOf(b.service));
  const problems: string[] = [];
  for (const part of parts) {
    const backup = await readBackup(ctx.environment.backupDir, part.service, part.id);
    ctx.output.info(`verifying ${part.service} ${part.id}...`);
    const report = await verifyBackup(backup);
    problems.push(...report.problems.map((p) => `${part.service} ${part.id}: ${p}`));
  }
  if (problems.length) {
    throw new FailedError(
      `backup set ${set.manifest.id} is damaged, nothing was changed:\n    ${
        problems.join("\n    ")
      }`,
      { hint: "pick another set" },
    );
  }
  await ctx.confirm(
    `replace the data of ${
      parts.map((p) => p.service).join(", ")
    } with backup set ${set.manifest.id}`,
  );
  const graph = dependencyMap(ctx.environment);
  const dependents = [...new Set(parts.flatMap((p) => dependentsOf(graph, p.service)))];
  const running: string[] = [];
  for (const name of dependencyWaves(graph).flat().reverse()) {
    if (!dependents.includes(name)) continue;
    const service = ctx.service(name);
    if ((await ctx.runtime.inspect(service)).state !== "running") continue;
    ctx.output.info(`stopping ${name} while its data is restored...`);
    await ctx.runtime.stop(service);
    running.push(name);
  }
  const restored: BackupSetRestoreResult["parts"] = [];
  try {
    for (const part of parts) {
      ctx.output.info(`restoring ${part.service} ${part.id}...`);
      const partBegan = performance.now();
      const result = await members[part.service]!.restore(ctx, part.id, options.safetyBackup);
      restored.push({
        service: part.service,
        id: part.id,
        safetyBackupId: result.safetyBackupId,
        durationMs: Math.round(performance.now() - partBegan),
      });
    }
  } catch (error) {
    if (restored.length) {
      ctx.output.warn(
        `restored before the failure: ${
          restored.map((p) => p.service).join(", ")
        }; their safety backups: ${restored.map((p) => p.safetyBackupId ?? "none").join(", ")}`,
      );
    }
    throw error;
  } finally {
    for (const name of [...running].reverse()) {
      ctx.output.info(`starting ${name} again...`);
      await ctx.runtime.start(ctx.service(name), { signal: ctx.signal }).catch((error) =>
        ctx.output.warn(
          `${name} did not start again: ${error instanceof Error ? error.message : error}`,
        )
      );
    }
  }
  return {
    id: set.manifest.id,
    parts: restored,
    restartedDependents: running,
    durationMs: Math.round(performance.now() - began),
  };
}
