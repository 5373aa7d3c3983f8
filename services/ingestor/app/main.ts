/**
 * The HailMary ingestor: a long-running worker that takes file messages
 * from the Redis stream, stores documents in PostgreSQL and indexes them in
 * OpenSearch, and serves `GET /health`. Configured by `HAILMARY_*`
 * variables (see worker_config.ts), set by services/ingestor/service.ts.
 * @module
 */
import { errorMessage } from "../../../lib/errors.ts";
import { openPostgres, openRedis, openSearch } from "../../../lib/ingest/pipeline_clients.ts";
import { type HealthSources, serveHealth } from "./health_server.ts";
import { IngestWorker } from "./ingest_worker.ts";
import { log } from "./log.ts";
import { workerConfig } from "./worker_config.ts";

const config = workerConfig((name) => Deno.env.get(name));
const controller = new AbortController();
const stop = () => {
  if (!controller.signal.aborted) log("info", "stopping: finishing the files in hand");
  controller.abort();
};
Deno.addSignalListener("SIGTERM", stop);
Deno.addSignalListener("SIGINT", stop);

const ready: { sources?: HealthSources } = {};
const server = serveHealth(config.port, () => ready.sources, controller.signal);

let lastRedisError = "";
const onRedisError = (error: Error) => {
  if (error.message !== lastRedisError) log("warn", `redis: ${error.message}`);
  lastRedisError = error.message;
};
// in a container no host step prepared the stores (the native runtime does): do it here
if (Deno.env.get("HAILMARY_INGESTOR_PREPARE") === "true") {
  const { prepareIngestStores } = await import("../../../lib/ingest/prepare_stores.ts");
  for (let attempt = 1;; attempt++) {
    try {
      await prepareIngestStores(config.endpoints);
      break;
    } catch (error) {
      if (attempt >= 30 || controller.signal.aborted) throw error;
      log("warn", `preparing the stores: ${errorMessage(error)}; trying again`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}
const sql = await openPostgres(config.endpoints, { max: 2 + config.pipelineDepth * 2 });
let redis;
let reader;
for (;;) {
  try {
    redis ??= await openRedis(config.endpoints, { retry: true, onError: onRedisError });
    reader ??= await openRedis(config.endpoints, { retry: true, onError: onRedisError });
    break;
  } catch (error) {
    log("warn", `waiting for redis: ${errorMessage(error)}`);
    await new Promise((r) => setTimeout(r, 1000));
    if (controller.signal.aborted) Deno.exit(0);
  }
}
const search = openSearch(config.endpoints, { timeoutMs: 120_000 });
const worker = new IngestWorker(config, { sql, redis, reader, search });
ready.sources = {
  sql,
  redis,
  search,
  keys: worker.keys,
  stats: worker.stats,
  consumer: config.consumer,
  index: config.endpoints.index,
};
log(
  "info",
  `ingestor started: consumer ${config.consumer}, stream ${worker.keys.stream}, health on 127.0.0.1:${config.port}, input roots ${
    config.boundary.roots.join(", ")
  }`,
);
await worker.run(controller.signal);
await server.finished;
await sql.end({ timeout: 5 });
await redis.close();
await reader.close();
log("info", "ingestor stopped");
