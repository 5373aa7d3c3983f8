import { join } from "../posix_path.ts";
import { environmentsDir } from "../project_paths.ts";
import type { Environment } from "./environment.ts";

/**
 * How a command line names an environment: by name when it is a shipped file
 * (`environments/<name>.yaml`), else by the file's absolute path, so a hint
 * or a cron line works from any folder.
 */
export function environmentArgument(environment: Pick<Environment, "name" | "file">): string {
  return environment.file === join(environmentsDir, `${environment.name}.yaml`)
    ? environment.name
    : environment.file;
}
