/**
 * Metrics: the stack as a Prometheus text exposition, collected from the
 * status, the backup catalog, the schedules and the ingestor, printed,
 * served (`--serve`) or written for node_exporter (`--textfile`).
 * @module
 */
export { MetricsCollector } from "./collect_metrics.ts";
export { Exposition, expositionContentType } from "./exposition.ts";
export type { MetricType } from "./exposition.ts";
export { serveMetrics } from "./serve_metrics.ts";
export type { ServeMetricsOptions } from "./serve_metrics.ts";
