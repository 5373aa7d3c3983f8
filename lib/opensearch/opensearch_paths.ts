import { join } from "../posix_path.ts";

/** Paths of the OpenSearch state under its state folder. */
export function opensearchPaths(
  stateDir: string,
): { config: string; data: string; logs: string; snapshots: string } {
  return {
    config: join(stateDir, "config"),
    data: join(stateDir, "data"),
    logs: join(stateDir, "logs", "opensearch"),
    snapshots: join(stateDir, "snapshots"),
  };
}
