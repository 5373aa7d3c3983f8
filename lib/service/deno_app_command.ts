import { dirname, join } from "../posix_path.ts";
import type { PipelineEndpoints } from "../ingest/pipeline_endpoints.ts";

/**
 * The `deno run` command line of a reference app (web, ingestor) with narrow
 * permissions: network to its three stores and its own port, the app's
 * environment variables, reading its own folder (and `readPaths`) only: not
 * the rest of the checkout, the state, secrets or backup folders. Its imports
 * load without read permission. Never `-A`, and no secret on the command line
 * (those travel in the environment).
 */
export function denoRunCommand(options: {
  projectRoot: string;
  /** The app's entry point; the folder holding it is what the app may read. */
  entry: string;
  endpoints: PipelineEndpoints;
  listenPort: number;
  readPaths?: string[];
  watch?: boolean;
  /**
   * The app may bind its port beside another process of itself (SO_REUSEPORT,
   * for a hand-over without downtime): Deno asks `--unstable-net` for it.
   */
  reusePort?: boolean;
}): string[] {
  const e = options.endpoints;
  const os = new URL(e.opensearchUrl);
  const net = [
    `${e.postgres.host}:${e.postgres.port}`,
    `${e.redis.host}:${e.redis.port}`,
    `${os.hostname}:${os.port || 80}`,
    `127.0.0.1:${options.listenPort}`,
  ];
  const read = [dirname(options.entry), ...(options.readPaths ?? [])];
  return [
    Deno.execPath(),
    "run",
    "--quiet",
    "--no-prompt",
    `--config=${join(options.projectRoot, "deno.json")}`,
    ...(options.watch ? ["--watch"] : []),
    ...(options.reusePort ? ["--unstable-net"] : []),
    `--allow-net=${[...new Set(net)].join(",")}`,
    // the drivers read their own PG*/REDIS_* variables at start-up, the YAML parser LOG_*
    "--allow-env=HAILMARY_*,PG*,REDIS_*,LOG_TOKENS,LOG_STREAM",
    `--allow-read=${[...new Set(read)].join(",")}`,
    options.entry,
  ];
}

/**
 * Variables every app process needs besides its endpoints: its own Deno cache
 * under its state folder (the service user cannot read the operator's, and
 * must not write it).
 */
export function appEnvironment(stateDir: string): Record<string, string> {
  return {
    DENO_DIR: join(stateDir, "deno"),
    DENO_NO_UPDATE_CHECK: "1",
    NO_COLOR: "1",
  };
}
