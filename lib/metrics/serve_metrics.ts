import { expositionContentType } from "./exposition.ts";
import type { MetricsCollector } from "./collect_metrics.ts";

/** Options of {@link serveMetrics}. */
export interface ServeMetricsOptions {
  hostname: string;
  port: number;
  signal: AbortSignal;
  /** Called once the server listens, with its address. */
  onListen?: (address: { hostname: string; port: number }) => void;
}

/**
 * Serves `GET /metrics` for a Prometheus scraper until the signal aborts.
 * Scrapes that arrive while one is being collected share its result, so a
 * burst of scrapers costs one collection.
 */
export async function serveMetrics(
  collector: MetricsCollector,
  options: ServeMetricsOptions,
): Promise<void> {
  let pending: Promise<string> | undefined;
  const collect = () => {
    pending ??= collector.collect(options.signal).finally(() => {
      pending = undefined;
    });
    return pending;
  };
  const server = Deno.serve({
    hostname: options.hostname,
    port: options.port,
    signal: options.signal,
    onListen: (address) => options.onListen?.(address),
  }, async (request) => {
    const url = new URL(request.url);
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
    }
    if (url.pathname === "/metrics") {
      try {
        return new Response(await collect(), {
          headers: { "content-type": expositionContentType, "cache-control": "no-store" },
        });
      } catch (error) {
        return new Response(
          `collecting metrics failed: ${error instanceof Error ? error.message : error}\n`,
          {
            status: 500,
          },
        );
      }
    }
    if (url.pathname === "/") {
      return new Response("HailMary Ops metrics: /metrics\n", {
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
    }
    return new Response("not found\n", { status: 404 });
  });
  await server.finished;
}
