import { join } from "../posix_path.ts";
import {
  describeOwner,
  type FoundLeftover,
  myOwnerToken,
  ownerState,
  ownerTokenSource,
  parseOwnerToken,
} from "../leftovers/mod.ts";
import { isGone, readProcStat } from "../runtime/proc.ts";

/** `temp-<pid>.rdb` (BGSAVE) and `temp-rewriteaof-[bg-]<pid>.aof` (AOF rewrite): redis names them after its forked child. */
const serverTemp = /^temp-(?:rewriteaof-(?:bg-)?)?(\d+)\.(?:rdb|aof)$/;
/** The file redis:restore copies the backup into before renaming it over `dump.rdb`. */
const restoreTempPrefix = ".ops-tmp-restore-";
const restoreTemp = new RegExp(`^\\.ops-tmp-restore-(${ownerTokenSource})\\.rdb$`);

/** The name of redis:restore's temp copy for this process. */
export async function restoreTempName(): Promise<string> {
  return `${restoreTempPrefix}${await myOwnerToken()}.rdb`;
}

/** How to tell whether the server's own temp files are still being written. */
export interface RedisTempCheck {
  /**
   * True while the server has a forked child (a save or rewrite running);
   * false when it has none or is not running. Asked after the folders are
   * listed, so a file listed earlier cannot belong to a child started later.
   */
  forkInProgress(): Promise<boolean>;
  /** True where the server's pids are this host's (native runtime), false in a container. */
  pidsVisible: boolean;
}

/**
 * The temp files in a redis data folder (and its append-only folder) that a
 * save, rewrite or restore writes and renames when done: left behind when the
 * server or the task died. A server temp is stale when the server has no
 * forked child; while it has one, natively, when the file's pid is gone or
 * started after the file was last written; in a container such files are kept
 * until no child runs. A restore temp is stale when its task is gone.
 */
export async function findRedisTempFiles(
  service: string,
  folders: { dir: string; appenddirname: string },
  check: RedisTempCheck,
): Promise<FoundLeftover[]> {
  const listed: { path: string; name: string; folder: string }[] = [];
  for (const folder of [folders.dir, join(folders.dir, folders.appenddirname)]) {
    try {
      for await (const entry of Deno.readDir(folder)) {
        if (!entry.isFile) continue;
        if (serverTemp.test(entry.name) || restoreTemp.test(entry.name)) {
          listed.push({ path: join(folder, entry.name), name: entry.name, folder });
        }
      }
    } catch {
      // no such folder
    }
  }
  if (listed.length === 0) return [];
  const forking = await check.forkInProgress();
  const found: FoundLeftover[] = [];
  for (const file of listed) {
    let owner: string;
    let stale: boolean;
    const server = serverTemp.exec(file.name);
    if (server) {
      const pid = Number(server[1]);
      const alive = forking && (!check.pidsVisible || await writerMayLive(pid, file.path));
      owner = `pid ${pid} (${alive ? "a save is running" : "gone"})`;
      stale = !alive;
    } else {
      const parsed = parseOwnerToken(restoreTemp.exec(file.name)![1]!);
      const state = parsed ? await ownerState(parsed) : undefined;
      owner = describeOwner(parsed, state);
      stale = state === "dead";
    }
    found.push({
      leftover: {
        service,
        kind: "temp file",
        name: file.name,
        location: file.folder,
        owner,
        stale,
      },
      remove: () =>
        Deno.remove(file.path).catch((error) => {
          if (!(error instanceof Deno.errors.NotFound)) throw error;
        }),
    });
  }
  return found;
}

/** True when INFO persistence shows a forked child: a save, an AOF rewrite or a module's fork. */
export function hasForkedChild(persistence: Record<string, string>): boolean {
  return ["rdb_bgsave_in_progress", "aof_rewrite_in_progress", "module_fork_in_progress"]
    .some((field) => persistence[field] === "1");
}

/** False when `pid` is gone, or is a process that started after the file was last written. */
async function writerMayLive(pid: number, path: string): Promise<boolean> {
  const stat = await readProcStat(pid);
  if (!stat || isGone(stat)) return false;
  const info = await Deno.stat(path).catch(() => undefined);
  const written = info?.mtime ? info.mtime.getTime() / 1000 : undefined;
  return written === undefined || stat.startedEpoch <= written + 1;
}
