/** What the point-in-time recovery tests share, on any runtime. */
import { join } from "node:path";

/** Whether a file or folder is there. */
export async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Waits a little over a second, so consecutive marks fall in different seconds. */
export const tick = (): Promise<unknown> => new Promise((r) => setTimeout(r, 1100));

/**
 * Forces the current WAL segment into the archive folder (the server's
 * archive_command) and waits until it is there; returns the segment's name.
 * @param sql runs SQL on the live server as the superuser; rows as text fields.
 * @param attempts tries 100 ms apart before giving up.
 */
export async function archiveNow(
  sql: (text: string) => Promise<string[][]>,
  archive: string,
  attempts = 100,
): Promise<string> {
  const [[segment = ""] = []] = await sql("select pg_walfile_name(pg_switch_wal())");
  for (let i = 0; i < attempts; i++) {
    if (await exists(join(archive, segment))) return segment;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${segment} was not archived`);
}
