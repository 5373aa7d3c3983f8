import { dirname, join } from "../posix_path.ts";

/** The image label that records which build made an image. */
export const fingerprintLabel = "org.hailmary.build-fingerprint";

/**
 * A fingerprint of what an image is built from: the files of its Dockerfile's
 * folder (the service's own folder: Dockerfile, entrypoint, scripts,
 * configuration; `node_modules` left out) and the build arguments. Setup
 * labels each image with it and builds again when it differs, so a changed
 * Dockerfile or script reaches the image without `--rebuild`.
 */
export async function buildFingerprint(
  dockerfile: string,
  args: readonly (readonly [string, string])[],
): Promise<string> {
  const folder = dirname(dockerfile);
  const files: string[] = [];
  const walk = async (dir: string, prefix: string) => {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
      const path = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory) await walk(join(dir, entry.name), path);
      else if (entry.isFile) files.push(path);
    }
  };
  await walk(folder, "");
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const path of files.sort()) {
    parts.push(
      encoder.encode(`${path}\0`),
      await Deno.readFile(join(folder, path)),
      encoder.encode("\0"),
    );
  }
  const sortedArgs = [...args].sort(([a], [b]) => a.localeCompare(b));
  parts.push(encoder.encode(JSON.stringify(sortedArgs)));
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(digest.slice(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
}
