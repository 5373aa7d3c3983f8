// @ts-types="@types/picomatch"
import picomatch from "picomatch";
import { join, relative, resolve } from "../posix_path.ts";
import { UsageError } from "../errors.ts";
import { formatOf } from "./document.ts";
import { type InputBoundary, resolveInput } from "./input_roots.ts";

/** The files a PATH or GLOB names, split into those the pipeline reads and the others. */
export interface InputFiles {
  /** Real paths of readable formats, sorted. */
  files: string[];
  /** Real paths that matched but have an extension the pipeline does not read. */
  unsupported: string[];
  /**
   * Candidates the boundary refuses, each as `path: reason`: outside the
   * roots, in the state, secrets or backup folder, not a regular file.
   */
  refused: string[];
}

/**
 * Whether a folder (relative to the glob's base) may hold a match, so a
 * walk does not enter folders it cannot match in (nor refuse links there).
 */
function folderMatcher(glob: string): (relativeDir: string) => boolean {
  const segments = glob.split("/");
  const matchers = segments.map((s) => picomatch(s));
  return (relativeDir) => {
    const parts = relativeDir.split("/");
    for (let i = 0; i < parts.length; i++) {
      if (segments.slice(0, i + 1).some((s) => s.includes("**"))) return true;
      // the last segment names files: a folder there holds no match
      if (i >= segments.length - 1 || !matchers[i]!(parts[i]!)) return false;
    }
    return true;
  };
}

interface Walk {
  boundary: InputBoundary;
  accepted: string[];
  refused: string[];
  /** The glob's base and matchers; absent for a plain file or folder. */
  glob?: {
    base: string;
    file: (relativePath: string) => boolean;
    folder: (dir: string) => boolean;
  };
}

/**
 * Visits a candidate: resolves it to its real path and checks it against
 * the boundary; walks a folder (or a link to one) that may be walked.
 * Hidden entries (.git) are not content and are skipped.
 */
async function visit(walk: Walk, path: string, chain: ReadonlySet<string>): Promise<void> {
  const resolved = await resolveInput(path, walk.boundary);
  const isFolder = resolved.info?.isDirectory ?? false;
  if (walk.glob) {
    // only what the glob asks for is a candidate: a folder it may match in, a file it matches
    const rel = relative(walk.glob.base, path);
    const wanted = rel === "" ? isFolder : isFolder ? walk.glob.folder(rel) : walk.glob.file(rel);
    if (!wanted) return;
  }
  if (resolved.refused !== undefined) {
    walk.refused.push(resolved.refused);
    return;
  }
  if (!isFolder) {
    walk.accepted.push(resolved.real);
    return;
  }
  if (chain.has(resolved.real)) return; // a link back to a folder being walked
  const entries: string[] = [];
  for await (const entry of Deno.readDir(resolved.real)) {
    if (!entry.name.startsWith(".")) entries.push(entry.name);
  }
  entries.sort();
  const inner = new Set(chain).add(resolved.real);
  for (const name of entries) await visit(walk, join(path, name), inner);
}

/**
 * Expands a file, a folder (every file below it, hidden ones excepted) or a
 * glob (`docs/**\/*.md`, `*.{md,csv}`) to the real paths of the files,
 * relative to `cwd`. Every candidate is resolved (links followed to their
 * target) and checked against `boundary`: the refused ones are listed in
 * `refused`, never in `files`. A link to a folder is walked only when its
 * target may be.
 * @throws {UsageError} when the path does not exist or nothing matches.
 */
export async function findInputFiles(
  pattern: string,
  boundary: InputBoundary,
  cwd: string = Deno.cwd(),
): Promise<InputFiles> {
  const absolute = resolve(cwd, pattern);
  const scan = picomatch.scan(absolute);
  const walk: Walk = { boundary, accepted: [], refused: [] };
  // a path that exists is itself, even with glob characters in its name: `notes (old)/`
  const exists = await Deno.lstat(absolute).then(() => true, () => false);
  if (exists || !scan.isGlob) {
    if (!exists) {
      throw new UsageError(
        `${JSON.stringify(pattern)} does not exist`,
        "give a file, a folder or a quoted glob such as 'docs/**/*.md'",
      );
    }
    await visit(walk, absolute, new Set());
  } else {
    const base = scan.base || "/";
    const file = picomatch(scan.glob);
    walk.glob = { base, file, folder: folderMatcher(scan.glob) };
    if (await Deno.lstat(base).then(() => true, () => false)) {
      await visit(walk, base, new Set());
    }
    if (walk.accepted.length === 0 && walk.refused.length === 0) {
      throw new UsageError(`no file matches ${JSON.stringify(pattern)}`);
    }
  }
  const unique = [...new Set(walk.accepted)].sort();
  return {
    files: unique.filter((p) => formatOf(p) !== undefined),
    unsupported: unique.filter((p) => formatOf(p) === undefined),
    refused: walk.refused,
  };
}
