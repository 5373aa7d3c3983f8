import { isAbsolute, join, relative, resolve, sep as SEPARATOR } from "../path.ts";
import { UsageError } from "../errors.ts";
import { formatOf } from "./document.ts";

/** The files a PATH or GLOB names, split into those the pipeline reads and the others. */
export interface InputFiles {
  /** Absolute paths of readable formats, sorted. */
  files: string[];
  /** Absolute paths that matched but have an extension the pipeline does not read. */
  unsupported: string[];
}

const globChars = /[*?[]/;

/** Translates one glob path (relative to its base) to a regex: `*`, `?`, `[...]`, `**` across folders. */
export function globToRegExp(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") {
      if (glob[i + 1] === "*") {
        const slashAfter = glob[i + 2] === "/";
        out += slashAfter ? "(?:[^/]*/)*" : ".*";
        i += slashAfter ? 2 : 1;
      } else {
        out += "[^/]*";
      }
    } else if (c === "?") {
      out += "[^/]";
    } else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end < 0) {
        out += "\\[";
      } else {
        const body = glob.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\");
        out += `[${body}]`;
        i = end;
      }
    } else {
      out += c.replace(/[.+^${}()|\\\]]/g, "\\$&");
    }
  }
  return new RegExp(`^${out}$`);
}

async function* walk(dir: string): AsyncGenerator<string> {
  const entries: Deno.DirEntry[] = [];
  for await (const entry of Deno.readDir(dir)) entries.push(entry);
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue; // hidden files and folders (.git) are not content
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* walk(path);
    else if (entry.isFile) yield path;
  }
}

/**
 * Expands a file, a folder (every file below it, hidden ones excepted) or a
 * glob (`docs/**\/*.md`) to absolute file paths, relative to `cwd`.
 * @throws {UsageError} when the path does not exist or nothing matches.
 */
export async function findInputFiles(
  pattern: string,
  cwd: string = Deno.cwd(),
): Promise<InputFiles> {
  const absolute = isAbsolute(pattern) ? pattern : resolve(cwd, pattern);
  const candidates: string[] = [];
  if (!globChars.test(pattern)) {
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(absolute);
    } catch {
      throw new UsageError(
        `${JSON.stringify(pattern)} does not exist`,
        "give a file, a folder or a quoted glob such as 'docs/**/*.md'",
      );
    }
    if (info.isDirectory) { for await (const path of walk(absolute)) candidates.push(path); }
    else candidates.push(absolute);
  } else {
    const parts = absolute.split(SEPARATOR);
    const firstGlob = parts.findIndex((p) => globChars.test(p));
    const base = parts.slice(0, firstGlob).join(SEPARATOR) || SEPARATOR;
    const regex = globToRegExp(parts.slice(firstGlob).join("/"));
    try {
      for await (const path of walk(base)) {
        if (regex.test(relative(base, path).split(SEPARATOR).join("/"))) candidates.push(path);
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    if (candidates.length === 0) {
      throw new UsageError(`no file matches ${JSON.stringify(pattern)}`);
    }
  }
  const files = candidates.filter((p) => formatOf(p) !== undefined).sort();
  const unsupported = candidates.filter((p) => formatOf(p) === undefined).sort();
  return { files, unsupported };
}
