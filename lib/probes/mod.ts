/**
 * Health probes: each returns healthy/unhealthy, latency and a short detail, within a timeout.
 * @module
 */
export type { Probe, ProbeResult } from "./types.ts";
export { tcpProbe } from "./tcp_probe.ts";
export { httpProbe } from "./http_probe.ts";
export { opensearchProbe } from "./opensearch_probe.ts";
export { redisProbe, respCommand } from "./redis_probe.ts";
export { postgresProbe } from "./postgres_probe.ts";
export { probeFromSpec } from "./probe_spec.ts";
export { httpGet } from "./_http_get.ts";
export type { ProbeSpec } from "./probe_spec.ts";
