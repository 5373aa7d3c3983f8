import { expositionContentType } from "./exposition.ts";
import type { MetricsCollector } from "./collect_metrics.ts";

/** Options of {@link serveMetrics}. */
export interface ServeMetricsOptions {
  hostname: string;
  port: number;
  signal: AbortSignal;
  /** Seconds between collections. */
  intervalSeconds: number;
  /** Called once the server listens, with its address. */
  onListen?: (address: { hostname: string; port: number }) => void;
}

/**
 * Serves `GET /metrics` for a Prometheus scraper until the signal aborts.
 * The stack is collected when the server starts and then every
 * `intervalSeconds` (one collection at a time), and a scrape gets the latest
 * collection at once: a slow or unreachable backend never makes a scrape
 * slow or time out, and many scrapers cost no more than one.
 * `hailmary_metrics_collected_timestamp_seconds` tells how fresh it is.
 */
export async function serveMetrics(
  collector: MetricsCollector,
  options: ServeMetricsOptions,
): Promise<void> {
  let latest: Promise<string> = collector.collect(options.signal);
  const refresh = async () => {
    while (!options.signal.aborted) {
      // a failed collection answers 500 until one succeeds
      await latest.catch(() => {});
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.intervalSeconds * 1000);
        options.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
      });
      if (options.signal.aborted) break;
      const next = collector.collect(options.signal);
      // keep serving the previous text until the next one is complete
      await next.then(() => {
        latest = next;
      }, () => {});
    }
  };
  const refreshing = refresh();
  const collect = () => latest;
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
  await refreshing;
}
