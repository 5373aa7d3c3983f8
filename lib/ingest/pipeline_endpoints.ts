import type { Environment } from "../config/mod.ts";
import { UsageError } from "../errors.ts";
import { serviceHost } from "../service/service_context.ts";

/** Where the pipeline's stores are and how its Redis keys and index are named. */
export interface PipelineEndpoints {
  postgres: {
    host: string;
    port: number;
    database: string;
    user: string;
    password: string | undefined;
  };
  redis: { host: string; port: number; password: string | undefined };
  /** `http://host:port` of OpenSearch. */
  opensearchUrl: string;
  /** Prefix of the Redis keys (`ingest` → `ingest:jobs`, `ingest:dead`...). */
  queuePrefix: string;
  /** The OpenSearch alias documents are written to and searched in. */
  index: string;
}

/** The peers a service context carries (`ctx.peers`), as far as the pipeline reads them. */
export type PeerSettings = Record<
  string,
  { settings: Record<string, unknown>; secrets: Record<string, string | undefined>; host: string }
>;

function peer(peers: PeerSettings, name: string) {
  const found = peers[name];
  if (!found) {
    throw new UsageError(
      `the ingestion pipeline needs the ${name} service, which this environment does not configure`,
    );
  }
  return found;
}

/** Endpoints from the resolved settings of the postgres, redis and opensearch services. */
export function endpointsFromPeers(
  peers: PeerSettings,
  names: { queuePrefix: string; index: string },
): PipelineEndpoints {
  const pg = peer(peers, "postgres");
  const redis = peer(peers, "redis");
  const os = peer(peers, "opensearch");
  return {
    postgres: {
      host: pg.host,
      port: Number(pg.settings.port),
      database: String(pg.settings.database),
      user: String(pg.settings.user),
      password: pg.secrets.password,
    },
    redis: {
      host: redis.host,
      port: Number(redis.settings.port),
      password: redis.secrets.password,
    },
    opensearchUrl: `http://${os.host}:${Number(os.settings.port)}`,
    queuePrefix: names.queuePrefix,
    index: names.index,
  };
}

/** Endpoints for tasks, from an environment; queue and index names from its ingestor settings. */
export function endpointsFromEnvironment(environment: Environment): PipelineEndpoints {
  const peers: PeerSettings = {};
  for (const s of environment.services) {
    peers[s.definition.name] = { settings: s.settings, secrets: s.secrets, host: serviceHost(s) };
  }
  const ingestor = environment.services.find((s) => s.definition.name === "ingestor")?.settings;
  return endpointsFromPeers(peers, {
    queuePrefix: typeof ingestor?.queuePrefix === "string" ? ingestor.queuePrefix : "ingest",
    index: typeof ingestor?.index === "string" ? ingestor.index : "documents",
  });
}

/** The environment variables an app process reads its endpoints from (secrets travel here, never in argv). */
export function endpointsToEnv(e: PipelineEndpoints): Record<string, string> {
  return {
    HAILMARY_PG_HOST: e.postgres.host,
    HAILMARY_PG_PORT: String(e.postgres.port),
    HAILMARY_PG_DATABASE: e.postgres.database,
    HAILMARY_PG_USER: e.postgres.user,
    ...(e.postgres.password === undefined ? {} : { HAILMARY_PG_PASSWORD: e.postgres.password }),
    HAILMARY_REDIS_HOST: e.redis.host,
    HAILMARY_REDIS_PORT: String(e.redis.port),
    ...(e.redis.password === undefined ? {} : { HAILMARY_REDIS_PASSWORD: e.redis.password }),
    HAILMARY_OPENSEARCH_URL: e.opensearchUrl,
    HAILMARY_QUEUE_PREFIX: e.queuePrefix,
    HAILMARY_INDEX: e.index,
  };
}

/**
 * Endpoints from the variables {@link endpointsToEnv} writes (the apps' side).
 * @throws {Error} naming a missing variable.
 */
export function endpointsFromEnv(get: (name: string) => string | undefined): PipelineEndpoints {
  const need = (name: string) => {
    const value = get(name);
    if (value === undefined || value === "") {
      throw new Error(`environment variable ${name} is not set`);
    }
    return value;
  };
  return {
    postgres: {
      host: need("HAILMARY_PG_HOST"),
      port: Number(need("HAILMARY_PG_PORT")),
      database: need("HAILMARY_PG_DATABASE"),
      user: need("HAILMARY_PG_USER"),
      password: get("HAILMARY_PG_PASSWORD"),
    },
    redis: {
      host: need("HAILMARY_REDIS_HOST"),
      port: Number(need("HAILMARY_REDIS_PORT")),
      password: get("HAILMARY_REDIS_PASSWORD"),
    },
    opensearchUrl: need("HAILMARY_OPENSEARCH_URL"),
    queuePrefix: get("HAILMARY_QUEUE_PREFIX") ?? "ingest",
    index: get("HAILMARY_INDEX") ?? "documents",
  };
}
