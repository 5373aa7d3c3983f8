import { join } from "../posix_path.ts";
import { servicesDir } from "../project_paths.ts";

/**
 * The `capabilities` a service definition lists, read from the text of
 * `services/<name>/service.ts` without importing it (so building the task
 * list stays fast and loads no client libraries). Empty when not found.
 */
export function readCapabilities(service: string, dir: string = servicesDir): string[] {
  let text: string;
  try {
    text = Deno.readTextFileSync(join(dir, service, "service.ts"));
  } catch {
    return [];
  }
  const list = /\bcapabilities:\s*\[([^\]]*)\]/.exec(text)?.[1];
  if (list === undefined) return [];
  return [...list.matchAll(/["']([a-z][a-z0-9-]*)["']/g)].map((m) => m[1]!);
}
