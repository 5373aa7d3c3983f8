import { join } from "../posix_path.ts";

/**
 * The programs among `programs` that exist (a name on PATH, or a path):
 * a missing one is not granted, and fails later with its own message.
 */
export function installed(programs: readonly string[]): string[] {
  const path = (Deno.env.get("PATH") ?? "").split(":").filter((d) => d !== "");
  const isFile = (candidate: string) => {
    try {
      return Deno.statSync(candidate).isFile;
    } catch {
      return false;
    }
  };
  return programs.filter((program) =>
    program.includes("/") ? isFile(program) : path.some((dir) => isFile(join(dir, program)))
  );
}
