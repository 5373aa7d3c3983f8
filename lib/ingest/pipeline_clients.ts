import type { Sql } from "postgres";
import { OpenSearchClient } from "../opensearch/opensearch_client.ts";
import type { PipelineEndpoints } from "./pipeline_endpoints.ts";

/** The one Redis method the queue contract needs: raw commands, so any client fits. */
export interface RedisCommands {
  sendCommand(args: string[]): Promise<unknown>;
}

/** A Redis connection that can be closed. */
export interface RedisConnection extends RedisCommands {
  close(): Promise<void>;
}

/**
 * Opens a PostgreSQL pool (porsager `postgres`, imported on first use).
 * Every connection option is given, so the driver reads no PG* variables.
 */
export async function openPostgres(
  e: PipelineEndpoints,
  options: { max?: number; connectTimeoutSeconds?: number } = {},
): Promise<Sql> {
  const { default: postgres } = await import("postgres");
  return postgres({
    host: e.postgres.host,
    port: e.postgres.port,
    database: e.postgres.database,
    user: e.postgres.user,
    ...(e.postgres.password === undefined ? {} : { password: e.postgres.password }),
    max: options.max ?? 4,
    connect_timeout: options.connectTimeoutSeconds ?? 10,
    idle_timeout: 60,
    onnotice: () => {},
    connection: { application_name: "hailmary-ingest" },
  });
}

/**
 * Opens a Redis connection (node-redis, imported on first use). `retry`
 * keeps reconnecting after a lost connection (long-running apps); without it
 * a connection error fails the call (tasks).
 */
export async function openRedis(
  e: PipelineEndpoints,
  options: { retry?: boolean; onError?: (error: Error) => void } = {},
): Promise<RedisConnection> {
  const { createClient } = await import("redis");
  const client = createClient({
    socket: {
      host: e.redis.host,
      port: e.redis.port,
      connectTimeout: 5000,
      reconnectStrategy: options.retry
        ? (retries: number) => Math.min(100 * 2 ** retries, 5000)
        : false,
    },
    ...(e.redis.password === undefined ? {} : { password: e.redis.password }),
  });
  // node-redis emits 'error' events (and crashes the process when nobody listens); the
  // client's type does not always carry EventEmitter's methods, hence the narrow view
  (client as unknown as { on(event: "error", listener: (error: Error) => void): unknown }).on(
    "error",
    (error) => options.onError?.(error),
  );
  await client.connect();
  return {
    sendCommand: (args) => client.sendCommand(args) as Promise<unknown>,
    close: async () => {
      try {
        await client.close();
      } catch {
        client.destroy();
      }
    },
  };
}

/** An OpenSearch client for the pipeline's endpoints. */
export function openSearch(
  e: PipelineEndpoints,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): OpenSearchClient {
  return new OpenSearchClient(e.opensearchUrl, options);
}
