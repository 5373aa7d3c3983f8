import {
  endpointsFromEnv,
  type PipelineEndpoints,
} from "../../../lib/ingest/pipeline_endpoints.ts";

/** How the web app runs, from the environment its service.ts sets. */
export interface WebConfig {
  endpoints: PipelineEndpoints;
  port: number;
  /** How long a search answer stays in the Redis cache. 0 turns the cache off. */
  cacheTtlSeconds: number;
  /** Largest `size` a search may ask for. */
  maxSize: number;
}

/**
 * Reads the web configuration from `HAILMARY_*` variables.
 * @throws {Error} naming a missing or invalid variable.
 */
export function webConfig(get: (name: string) => string | undefined): WebConfig {
  const int = (name: string, fallback: number) => {
    const raw = get(name);
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) {
      throw new Error(`${name} must be a whole number, not ${JSON.stringify(raw)}`);
    }
    return value;
  };
  return {
    endpoints: endpointsFromEnv(get),
    port: int("HAILMARY_WEB_PORT", 3000),
    cacheTtlSeconds: int("HAILMARY_WEB_CACHE_TTL_SECONDS", 30),
    maxSize: Math.max(1, int("HAILMARY_WEB_MAX_SIZE", 50)),
  };
}
