import { join } from "../lib/posix_path.ts";
import { UsageError } from "../lib/errors.ts";
import { type AnyTask, defineTask } from "../lib/task/define_task.ts";

/** The result of `metrics`: the exposition, and where it was written or served. */
export interface MetricsResult {
  environment: string;
  /** The text exposition (empty when serving). */
  text: string;
  /** The file written for node_exporter's textfile collector. */
  file: string | null;
  /** The URL served until interrupted. */
  served: string | null;
}

const loopbackHosts = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** The metrics task: Prometheus text exposition of the stack, printed, served or written. */
export function metricsTasks(): AnyTask[] {
  const metrics = defineTask({
    id: "metrics",
    summary:
      "Print the stack's metrics in Prometheus text format (--serve PORT for a scraper, --textfile DIR for node_exporter)",
    action: "metrics",
    permissions: "observe",
    snapshotSuffices: true,
    options: {
      serve: {
        type: "number",
        description: "serve /metrics on this port until interrupted",
        min: 0,
        integer: true,
        placeholder: "PORT",
      },
      interval: {
        type: "number",
        description:
          "with --serve: collect every SECONDS; a scrape gets the latest collection at once",
        default: 5,
        min: 1,
        placeholder: "SECONDS",
      },
      host: {
        type: "string",
        description: "the address --serve listens on (loopback by default)",
        default: "127.0.0.1",
        placeholder: "ADDRESS",
      },
      textfile: {
        type: "string",
        description:
          "write hailmary_<env>.prom into DIR (node_exporter's textfile collector), atomically",
        placeholder: "DIR",
        output: "folder",
      },
    },
    needs: ({ options }) =>
      options.serve !== undefined && !loopbackHosts.has(options.host)
        ? { net: [`${options.host}:${options.serve}`] }
        : {},
    run: async (ctx, { options }): Promise<MetricsResult> => {
      if (options.serve !== undefined && options.textfile !== undefined) {
        throw new UsageError("--serve and --textfile do not go together", "pick one");
      }
      const { MetricsCollector } = await import("../lib/metrics/collect_metrics.ts");
      const collector = new MetricsCollector(ctx.environment, ctx.runtime);
      const base = { environment: ctx.environment.name, text: "", file: null, served: null };
      if (options.serve !== undefined) {
        const { serveMetrics } = await import("../lib/metrics/serve_metrics.ts");
        let served = "";
        await serveMetrics(collector, {
          hostname: options.host,
          port: options.serve,
          signal: ctx.signal,
          intervalSeconds: options.interval,
          onListen: ({ hostname, port }) => {
            const host = hostname.includes(":") ? `[${hostname}]` : hostname;
            served = `http://${host}:${port}/metrics`;
            ctx.output.warn(`serving ${served} (Ctrl-C stops)`);
          },
        });
        return { ...base, served };
      }
      const text = await collector.collect(ctx.signal);
      if (options.textfile !== undefined) {
        const { writeOutputFile } = await import("../lib/output/mod.ts");
        const file = join(
          options.textfile,
          `hailmary_${ctx.environment.name.replace(/-/g, "_")}.prom`,
        );
        await writeOutputFile(file, text);
        return { ...base, text, file };
      }
      return { ...base, text };
    },
    render: (result, output) => {
      if (result.file) output.info(`wrote ${result.file}`);
      else if (result.text) output.line(result.text.trimEnd());
    },
  });
  return [metrics];
}
