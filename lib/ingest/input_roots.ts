/**
 * The ingestor's input boundary: which files may be read into the stores.
 * One check for both sides: the ingest tasks apply it to every candidate
 * before anything is enqueued, and the worker applies it again when it opens
 * the file, since a job in the Redis stream is not trusted (anyone with the
 * Redis password can write one).
 * @module
 */
import { dirname, join, normalize } from "../posix_path.ts";

/** The folders a file read by the ingestor must be in, and those it must not be in. */
export interface InputBoundary {
  /** Folders files may come from: the inbox and the environment's `inputRoots`. */
  roots: string[];
  /** The environment's state folder: refused, except inside a root that lies within it (the inbox). */
  stateDir: string;
  /** The environment's secrets folder: always refused. */
  secretsDir: string;
  /** The environment's backup folder: always refused. */
  backupDir: string;
}

/** A file the ingestor refuses to read, and why. */
export class InputRefusedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "InputRefusedError";
  }
}

/** True when `path` is `folder` or below it (both absolute and normalised). */
export function isWithin(path: string, folder: string): boolean {
  if (folder === "/") return true;
  return path === folder || path.startsWith(folder.replace(/\/+$/, "") + "/");
}

/**
 * Why the ingestor must not read the file whose real path is `realPath`, or
 * undefined when it may (the type of the file is checked apart).
 */
export function boundaryRefusal(realPath: string, boundary: InputBoundary): string | undefined {
  if (isWithin(realPath, boundary.secretsDir)) {
    return `inside the secrets folder ${boundary.secretsDir}`;
  }
  if (isWithin(realPath, boundary.backupDir)) {
    return `inside the backup folder ${boundary.backupDir}`;
  }
  const roots = boundary.roots.filter((r) => isWithin(realPath, r));
  if (roots.length === 0) return `outside the input roots (${boundary.roots.join(", ")})`;
  // the state folder holds the inbox: only a root inside it opens that part of it
  if (
    isWithin(realPath, boundary.stateDir) && !roots.some((r) => isWithin(r, boundary.stateDir))
  ) {
    return `inside the state folder ${boundary.stateDir}`;
  }
  return undefined;
}

/**
 * Whether a folder (real path) may be walked for candidates: it lies inside
 * a root and no refused folder, or a root lies inside it. Its files are
 * still checked one by one.
 */
export function walkable(realDir: string, boundary: InputBoundary): boolean {
  return boundaryRefusal(realDir, boundary) === undefined ||
    boundary.roots.some((r) => isWithin(r, realDir) && boundaryRefusal(r, boundary) === undefined);
}

/** What kind of file `info` describes, for messages: "a FIFO", "a socket"... */
export function fileKind(info: Deno.FileInfo): string {
  if (info.isFile) return "a regular file";
  if (info.isDirectory) return "a folder";
  if (info.isSymlink) return "a symbolic link";
  if (info.isFifo) return "a FIFO";
  if (info.isSocket) return "a socket";
  if (info.isCharDevice) return "a character device";
  if (info.isBlockDevice) return "a block device";
  return "not a regular file";
}

/** The `resolves to` part of a refusal when a path is not its own real path. */
function shown(path: string, real: string): string {
  return path === real ? path : `${path} (resolves to ${real})`;
}

/**
 * The real path of a folder that may not exist yet: the longest existing
 * ancestor resolved, the rest appended. A folder the process may not read
 * (the worker's view of the state folder) stays as given.
 */
export function realFolderSync(path: string): string {
  const absolute = normalize(path);
  try {
    return Deno.realPathSync(absolute);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) return absolute;
    const parent = dirname(absolute);
    return parent === absolute
      ? absolute
      : join(realFolderSync(parent), absolute.slice(parent.length));
  }
}

/** The boundary with every folder replaced by its real path (see {@link realFolderSync}). */
export function resolveBoundary(boundary: InputBoundary): InputBoundary {
  return {
    roots: [...new Set(boundary.roots.map(realFolderSync))],
    stateDir: realFolderSync(boundary.stateDir),
    secretsDir: realFolderSync(boundary.secretsDir),
    backupDir: realFolderSync(boundary.backupDir),
  };
}

/** One candidate resolved: its real path and type, or why it is refused. */
export type ResolvedInput =
  | { path: string; real: string; info: Deno.FileInfo; refused?: undefined }
  | { path: string; real?: string; info?: Deno.FileInfo; refused: string };

/**
 * Resolves a candidate (a file, or a link to one) to its real path and
 * checks it: inside the roots, outside the state, secrets and backup
 * folders, a regular file. Folders come back unrefused with their `info`,
 * for the caller to walk ({@link walkable}).
 */
export async function resolveInput(path: string, boundary: InputBoundary): Promise<ResolvedInput> {
  let real: string;
  try {
    real = await Deno.realPath(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { path, refused: `${path}: does not exist, or is a link to nothing` };
    }
    if (error instanceof Deno.errors.NotCapable) {
      return { path, refused: `${path}: outside the input roots (${boundary.roots.join(", ")})` };
    }
    return { path, refused: `${path}: cannot be resolved: ${(error as Error).message}` };
  }
  const outside = boundaryRefusal(real, boundary);
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(real);
  } catch (error) {
    // the worker may not even look outside its roots (its --allow-read)
    return { path, real, refused: `${shown(path, real)}: ${outside ?? (error as Error).message}` };
  }
  if (info.isDirectory) {
    return walkable(real, boundary) ? { path, real, info } : {
      path,
      real,
      info,
      refused: `${shown(path, real)}: a folder ${outside}`,
    };
  }
  if (outside) return { path, real, info, refused: `${shown(path, real)}: ${outside}` };
  if (!info.isFile) {
    return {
      path,
      real,
      info,
      refused: `${shown(path, real)}: ${fileKind(info)}, not a regular file`,
    };
  }
  return { path, real, info };
}

/** Waits for `promise` at most `ms`; a late result is closed when it arrives. */
async function withTimeout<T extends { close(): void }>(
  promise: Promise<T>,
  ms: number,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new InputRefusedError("opening it did not finish")), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } catch (error) {
    promise.then((late) => late.close(), () => {});
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** A file that passed the check: its real path and what it was at the time. */
export interface CheckedInput {
  /** The path as given. */
  path: string;
  /** Its real path. */
  real: string;
  /** `lstat` of the real path when it was checked. */
  info: Deno.FileInfo;
}

/**
 * The worker's check of a path from a job: absolute, resolved to its real
 * path, inside the boundary, a regular file.
 * @throws {InputRefusedError} naming the path and the reason.
 */
export async function checkInputFile(path: string, boundary: InputBoundary): Promise<CheckedInput> {
  if (!path.startsWith("/")) {
    throw new InputRefusedError(`refused: ${JSON.stringify(path)} is not an absolute path`);
  }
  const checked = await resolveInput(path, boundary);
  if (checked.refused !== undefined) throw new InputRefusedError(`refused: ${checked.refused}`);
  if (!checked.info.isFile) {
    throw new InputRefusedError(
      `refused: ${shown(path, checked.real)}: ${fileKind(checked.info)}, not a regular file`,
    );
  }
  return checked;
}

/**
 * Opens a checked file and compares the opened file (device and inode)
 * with the path's `lstat` now and at the check, so a file swapped for a
 * link (or anything else) after the check is refused, never read.
 * @throws {InputRefusedError} when the file changed or the open does not finish.
 */
export async function openCheckedInput(
  checked: CheckedInput,
  options: { openTimeoutMs?: number } = {},
): Promise<Deno.FsFile> {
  const { path, real, info: before } = checked;
  // a FIFO swapped in after the check would block the open until a writer comes
  const file = await withTimeout(Deno.open(real, { read: true }), options.openTimeoutMs ?? 10_000);
  try {
    const opened = await file.stat();
    const now = await Deno.lstat(real).catch(() => undefined);
    const same = (a: Deno.FileInfo | undefined) =>
      a !== undefined && a.ino !== null && a.dev === opened.dev && a.ino === opened.ino;
    if (!opened.isFile || !now?.isFile || !same(now) || !same(before)) {
      throw new InputRefusedError(
        `refused: ${shown(path, real)}: the file changed between the check and the open (${
          now ? fileKind(now) : "gone"
        } now)`,
      );
    }
    return file;
  } catch (error) {
    file.close();
    throw error;
  }
}

/**
 * Opens a file for the worker, trusting nothing about the path it was
 * given: {@link checkInputFile}, then {@link openCheckedInput}.
 * @throws {InputRefusedError} naming the path and the reason.
 */
export async function openInputFile(
  path: string,
  boundary: InputBoundary,
  options: { openTimeoutMs?: number } = {},
): Promise<Deno.FsFile> {
  return await openCheckedInput(await checkInputFile(path, boundary), options);
}

// no variable is named *SECRET*: config:validate takes such a compose variable for an inline secret
const variables = {
  roots: "HAILMARY_INGESTOR_INPUT_ROOTS",
  stateDir: "HAILMARY_INGESTOR_STATE_DIR",
  secretsDir: "HAILMARY_INGESTOR_CONFIDENTIAL_DIR",
  backupDir: "HAILMARY_INGESTOR_BACKUP_DIR",
} as const;

/** The boundary as the worker's environment variables (roots one a line). */
export function boundaryToEnv(boundary: InputBoundary): Record<string, string> {
  return {
    [variables.roots]: boundary.roots.join("\n"),
    [variables.stateDir]: boundary.stateDir,
    [variables.secretsDir]: boundary.secretsDir,
    [variables.backupDir]: boundary.backupDir,
  };
}

/**
 * The boundary from the worker's environment variables.
 * @throws {Error} naming a variable that is missing or not an absolute path.
 */
export function boundaryFromEnv(get: (name: string) => string | undefined): InputBoundary {
  const paths = (name: string) => {
    const list = (get(name) ?? "").split("\n").map((p) => p.trim()).filter((p) => p !== "");
    if (list.length === 0) {
      throw new Error(`${name} is not set: the worker reads no file without its input roots`);
    }
    const relative = list.find((p) => !p.startsWith("/"));
    if (relative !== undefined) {
      throw new Error(`${name} must hold absolute paths, not ${JSON.stringify(relative)}`);
    }
    return list.map(normalize);
  };
  const one = (name: string) => paths(name)[0]!;
  return {
    roots: paths(variables.roots),
    stateDir: one(variables.stateDir),
    secretsDir: one(variables.secretsDir),
    backupDir: one(variables.backupDir),
  };
}
