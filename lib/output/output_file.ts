import { dirname, join } from "../posix_path.ts";
import { UsageError } from "../errors.ts";

/** Where an output file is written before it is renamed into place. */
export function partialPath(path: string): string {
  return join(dirname(path), `.${path.slice(dirname(path).length + 1)}.partial`);
}

/**
 * Checks, before any work, that a file the user named for output can be
 * written: its folder is created when missing, the path is not a folder.
 * @throws {UsageError} naming the path and what stands in the way.
 */
export async function prepareOutputFile(path: string): Promise<void> {
  try {
    await ensureFolder(dirname(path));
    if ((await Deno.stat(path).catch(() => undefined))?.isDirectory) {
      throw new UsageError(
        `cannot write ${path}: it is a folder`,
        "name a file, such as reports/health.xml",
      );
    }
    const probe = partialPath(path);
    await Deno.writeTextFile(probe, "");
    await Deno.remove(probe);
  } catch (error) {
    throw asOutputError(path, error);
  }
}

/**
 * Writes an output file atomically: a temporary twin in the same folder,
 * flushed, then renamed over the target, so a reader never sees half a file.
 * @throws {UsageError} naming the path when it cannot be written.
 */
export async function writeOutputFile(path: string, text: string): Promise<void> {
  const partial = partialPath(path);
  try {
    await ensureFolder(dirname(path));
    {
      using file = await Deno.open(partial, { write: true, create: true, truncate: true });
      await file.write(new TextEncoder().encode(text));
      await file.sync();
    }
    await Deno.rename(partial, path);
  } catch (error) {
    await Deno.remove(partial).catch(() => {});
    throw asOutputError(path, error);
  }
}

/** Creates a missing folder (only then: the run may write the file, not its folder). */
async function ensureFolder(folder: string): Promise<void> {
  try {
    await Deno.stat(folder);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    await Deno.mkdir(folder, { recursive: true });
  }
}

function asOutputError(path: string, error: unknown): unknown {
  if (error instanceof UsageError) return error;
  if (!(error instanceof Error)) return error;
  return new UsageError(
    `cannot write ${path}: ${
      error.message.replace(/ \(os error \d+\)/, "").replace(/: '.*$/, "").replace(
        /, run again with the --allow-\w+ flag/,
        "",
      )
    }`,
    "name a file in a folder you can write",
  );
}
