/**
 * The HailMary web app: a plain HTML search page and a small JSON API over
 * the documents (`/api/search`, `/api/documents/:id`, `/health`). Configured
 * by `HAILMARY_*` variables, set by services/web/service.ts.
 * @module
 */
import { errorMessage } from "../../../lib/errors.ts";
import { queueKeys } from "../../../lib/ingest/job_queue.ts";
import {
  openPostgres,
  openRedis,
  openSearch,
  type RedisConnection,
} from "../../../lib/ingest/pipeline_clients.ts";
import { webConfig } from "./web_config.ts";
import { webHandler } from "./web_handler.ts";

const log = (level: string, message: string) =>
  console.log(`${new Date().toISOString()} ${level.padEnd(5)} ${message}`);

const config = webConfig((name) => Deno.env.get(name));
const staticDir = new URL("./static/", import.meta.url);
const types: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};
const assets = new Map<string, { body: Uint8Array<ArrayBuffer>; type: string }>();
for (const name of ["index.html", "search.js", "search.css"]) {
  const ext = name.split(".").pop()!;
  assets.set(name === "index.html" ? "/" : `/${name}`, {
    body: await Deno.readFile(new URL(name, staticDir)),
    type: types[ext]!,
  });
}

const controller = new AbortController();
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.addSignalListener(signal, () => controller.abort());
}

const sql = await openPostgres(config.endpoints, { max: 8 });
let redis: RedisConnection | undefined;
let lastRedisError = "";
const connectRedis = async () => {
  while (!redis && !controller.signal.aborted) {
    try {
      redis = await openRedis(config.endpoints, {
        retry: true,
        onError: (error) => {
          if (error.message !== lastRedisError) log("WARN", `redis: ${error.message}`);
          lastRedisError = error.message;
        },
      });
    } catch (error) {
      log("WARN", `waiting for redis: ${errorMessage(error)}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
};
void connectRedis();

const handler = webHandler({
  config,
  sql,
  redis: () => redis,
  search: openSearch(config.endpoints, { timeoutMs: 10_000 }),
  keys: queueKeys(config.endpoints.queuePrefix),
  assets,
});

// a hand-over (./ops deploy): the old process serves the port until this one is healthy itself
if (Deno.env.get("HAILMARY_WEB_LISTEN_WHEN_HEALTHY") === "1") {
  let status = 0;
  while (!controller.signal.aborted) {
    status = (await handler(new Request("http://localhost/health"))).status;
    if (status === 200) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  log("INFO", `healthy (HTTP ${status}): taking over the port`);
}

// loopback for the native runtime; containers set HAILMARY_WEB_HOST=0.0.0.0 to be reachable
const hostname = Deno.env.get("HAILMARY_WEB_HOST") || "127.0.0.1";
const server = Deno.serve(
  {
    hostname,
    port: config.port,
    // natively, a new process binds the port beside the old one during a deploy
    reusePort: Deno.env.get("HAILMARY_WEB_REUSE_PORT") === "1",
    signal: controller.signal,
    onListen: ({ port }) => log("INFO", `web listening on http://${hostname}:${port}`),
  },
  handler,
);
await server.finished;
await sql.end({ timeout: 5 });
await redis?.close();
log("INFO", "web stopped");
