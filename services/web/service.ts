import { join } from "../../lib/posix_path.ts";
import { z } from "zod";
import { defineService } from "../../lib/service/define_service.ts";
import { appEnvironment, denoRunCommand } from "../../lib/service/deno_app_command.ts";
import { endpointsFromPeers, endpointsToEnv } from "../../lib/ingest/pipeline_endpoints.ts";

const settings = z.object({
  port: z.number().int().min(1).max(65535).default(3000),
  /** How long a search answer stays in the Redis cache (0: no cache). */
  cacheTtlSeconds: z.number().int().min(0).max(86_400).default(30),
  /** Largest page of hits one search may ask for. */
  maxSize: z.number().int().min(1).max(1000).default(50),
  /** The OpenSearch alias searched (the ingestor writes it). */
  index: z.string().regex(/^[a-z][a-z0-9_-]*$/).default("documents"),
  /** Prefix of the ingestion queue's Redis keys (its index generation keys the cache). */
  queuePrefix: z.string().regex(/^[a-z][a-z0-9_-]*$/).default("ingest"),
}).strict();

/** Web settings in an environment file. */
export type WebSettings = z.infer<typeof settings>;

/** The app's entry point, relative to this folder (swap it for your own app). */
export const webEntry = join("app", "main.ts");

export default defineService({
  name: "web",
  description: "Web: the search page and the documents API",
  dependsOn: { postgres: "healthy", redis: "healthy", opensearch: "healthy" },
  settings,
  port: (s) => s.port,
  capabilities: ["build", "dev", "smoke", "deploy"],
  probe: (ctx) => ({ kind: "http", url: `http://${ctx.host}:${ctx.settings.port}/health` }),
  native: (ctx) => {
    const s = ctx.settings;
    const endpoints = endpointsFromPeers(ctx.peers, { queuePrefix: s.queuePrefix, index: s.index });
    return {
      command: denoRunCommand({
        projectRoot: ctx.projectRoot,
        entry: join(ctx.serviceDir, webEntry),
        endpoints,
        listenPort: s.port,
        reusePort: true,
      }),
      env: {
        ...appEnvironment(ctx.stateDir),
        ...endpointsToEnv(endpoints),
        HAILMARY_WEB_PORT: String(s.port),
        HAILMARY_WEB_CACHE_TTL_SECONDS: String(s.cacheTtlSeconds),
        HAILMARY_WEB_MAX_SIZE: String(s.maxSize),
        HAILMARY_WEB_REUSE_PORT: "1",
      },
      // ./ops deploy: the new process binds the port beside the old one once its own /health is 200
      handover: { env: { HAILMARY_WEB_LISTEN_WHEN_HEALTHY: "1" } },
      cwd: ctx.projectRoot,
      stopSignal: "SIGTERM",
      stopTimeoutMs: 10_000,
      readyTimeoutMs: 60_000,
    };
  },
});
