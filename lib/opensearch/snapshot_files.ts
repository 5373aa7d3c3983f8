import { dirname, join } from "../posix_path.ts";
import type { ServiceUser } from "../runtime/service_user.ts";

/** Every file under a folder, relative and `/`-separated, sorted. */
export async function filesUnder(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(join(dir, prefix))) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory) out.push(...await filesUnder(dir, rel));
    else if (entry.isFile) out.push(rel);
  }
  return out.sort();
}

/**
 * Copies files (relative paths) from one folder into a new folder the
 * OpenSearch node can read: owned by the service user when running as root,
 * so a snapshot repository can be registered on it.
 */
export async function copyFilesForService(
  from: string,
  files: readonly string[],
  to: string,
  user: ServiceUser | undefined,
): Promise<void> {
  const made = new Set<string>();
  const mkdir = async (dir: string) => {
    if (made.has(dir)) return;
    await Deno.mkdir(dir, { recursive: true, mode: 0o750 });
    made.add(dir);
  };
  await mkdir(to);
  for (const file of files) {
    const target = join(to, file);
    await mkdir(dirname(target));
    await Deno.copyFile(join(from, file), target);
    await Deno.chmod(target, 0o640);
  }
  if (user) {
    for (const dir of made) await chownUp(dir, to, user);
    for (const file of files) await Deno.chown(join(to, file), user.uid, user.gid);
  }
}

/** Chowns `dir` and its parents up to and including `root`. */
async function chownUp(dir: string, root: string, user: ServiceUser): Promise<void> {
  let current = dir;
  while (current.startsWith(root)) {
    await Deno.chown(current, user.uid, user.gid);
    if (current === root) break;
    current = dirname(current);
  }
}
