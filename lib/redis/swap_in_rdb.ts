import { join } from "../posix_path.ts";
import type { RedisFiles } from "./background_save.ts";
import { restoreTempName } from "./redis_temp_files.ts";

/** The RDB swapped in, with the replaced files kept aside until commit or rollback. */
export interface RdbSwap {
  /** Removes the replaced files. */
  commit(): Promise<void>;
  /** Removes the new files and puts the replaced ones back. */
  rollback(): Promise<void>;
}

/**
 * Puts an RDB file in place of the server's (which must be stopped), moving
 * the current RDB and any append-only file aside, so the server loads the new
 * RDB at its next start. The new file gets the owner of the data folder (the
 * service user of the native runtime, the container's redis user under
 * compose) when running as root. `commit` removes the set-aside files,
 * `rollback` puts them back.
 */
export async function swapInRdb(files: RedisFiles, rdb: string): Promise<RdbSwap> {
  const owner = await Deno.stat(files.dir);
  const target = join(files.dir, files.dbfilename);
  const aside: { path: string; moved: string }[] = [];
  const candidates = [target, join(files.dir, files.appenddirname)];
  // before Redis 7 the AOF was one file; moved aside too so it cannot win over the RDB
  candidates.push(join(files.dir, files.appendfilename));
  for (const path of candidates) {
    const moved = `${path}.before-restore`;
    await Deno.remove(moved, { recursive: true }).catch(() => {});
    try {
      await Deno.rename(path, moved);
      aside.push({ path, moved });
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  // named after this process: a copy left by a run that died is removed by the next one
  const temp = join(files.dir, await restoreTempName());
  await Deno.copyFile(rdb, temp);
  await Deno.chmod(temp, 0o600);
  if (Deno.uid() === 0 && owner.uid !== null && owner.gid !== null) {
    await Deno.chown(temp, owner.uid, owner.gid);
  }
  {
    using file = await Deno.open(temp, { read: true });
    await file.syncData();
  }
  await Deno.rename(temp, target);
  return {
    async commit() {
      for (const { moved } of aside) await Deno.remove(moved, { recursive: true }).catch(() => {});
    },
    async rollback() {
      for (const path of candidates) await Deno.remove(path, { recursive: true }).catch(() => {});
      for (const { path, moved } of aside) await Deno.rename(moved, path);
    },
  };
}
