/**
 * POSIX path helpers. node:path would pull in Deno's Node compatibility
 * layer (about 10 ms of start-up) on every task, including `health`.
 * @module
 */

/** True for an absolute path. */
export function isAbsolute(path: string): boolean {
  return path.startsWith("/");
}

/** Resolves `.`, `..` and repeated slashes. */
export function normalize(path: string): string {
  const absolute = isAbsolute(path);
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length && out[out.length - 1] !== "..") out.pop();
      else if (!absolute) out.push("..");
    } else out.push(part);
  }
  const joined = out.join("/");
  return absolute ? `/${joined}` : joined || ".";
}

/** Joins segments and normalises the result. */
export function join(...parts: string[]): string {
  return normalize(parts.filter((p) => p !== "").join("/"));
}

/** Resolves segments from right to left into an absolute path (relative to the working folder). */
export function resolve(...parts: string[]): string {
  let path = "";
  for (let i = parts.length - 1; i >= 0 && !isAbsolute(path); i--) {
    const part = parts[i]!;
    if (part) path = path ? `${part}/${path}` : part;
  }
  return normalize(isAbsolute(path) ? path : `${Deno.cwd()}/${path}`);
}

/** The parent folder. */
export function dirname(path: string): string {
  const normalized = normalize(path);
  const i = normalized.lastIndexOf("/");
  if (i === -1) return ".";
  return i === 0 ? "/" : normalized.slice(0, i);
}

/** The last segment. */
export function basename(path: string): string {
  const normalized = normalize(path);
  return normalized.slice(normalized.lastIndexOf("/") + 1);
}

/** The path from `from` to `to`. */
export function relative(from: string, to: string): string {
  const a = resolve(from).split("/").filter(Boolean);
  const b = resolve(to).split("/").filter(Boolean);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return [...Array(a.length - i).fill(".."), ...b.slice(i)].join("/");
}

/** The path of a `file:` URL. */
export function fromFileUrl(url: string | URL): string {
  return decodeURIComponent(new URL(url).pathname);
}

/** The path segment separator. */
export const sep = "/";
