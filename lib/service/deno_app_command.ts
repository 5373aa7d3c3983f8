import { join } from "../path.ts";
import type { PipelineEndpoints } from "../ingest/pipeline_endpoints.ts";

/**
 * The `deno run` command line of a reference app (web, ingestor) with narrow
 * permissions: network to its three stores and its own port, the app's
 * environment variables, reading the project (and `readPaths`). Never `-A`,
 * and no secret on the command line (those travel in the environment).
 */
export function denoRunCommand(options: {
  projectRoot: string;
  entry: string;
  endpoints: PipelineEndpoints;
  listenPort: number;
  readPaths?: string[];
  watch?: boolean;
}): string[] {
  const e = options.endpoints;
  const os = new URL(e.opensearchUrl);
  const net = [
    `${e.postgres.host}:${e.postgres.port}`,
    `${e.redis.host}:${e.redis.port}`,
    `${os.hostname}:${os.port || 80}`,
    `127.0.0.1:${options.listenPort}`,
  ];
  const read = [options.projectRoot, ...(options.readPaths ?? [])];
  return [
    Deno.execPath(),
    "run",
    "--quiet",
    "--no-prompt",
    `--config=${join(options.projectRoot, "deno.json")}`,
    ...(options.watch ? ["--watch"] : []),
    `--allow-net=${[...new Set(net)].join(",")}`,
    // the drivers read their own PG*/REDIS_* variables at start-up, the YAML parser LOG_*
    "--allow-env=HAILMARY_*,PG*,REDIS_*,LOG_TOKENS,LOG_STREAM",
    `--allow-read=${[...new Set(read)].join(",")}`,
    options.entry,
  ];
}

/** Variables every app process needs besides its endpoints: where Deno keeps its module cache. */
export function appEnvironment(): Record<string, string> {
  const home = Deno.env.get("HOME") ?? "/root";
  return {
    DENO_DIR: Deno.env.get("DENO_DIR") ?? join(home, ".cache", "deno"),
    DENO_NO_UPDATE_CHECK: "1",
    NO_COLOR: "1",
  };
}
