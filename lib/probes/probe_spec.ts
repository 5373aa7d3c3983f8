import { httpProbe } from "./http_probe.ts";
import { opensearchProbe } from "./opensearch_probe.ts";
import { postgresProbe } from "./postgres_probe.ts";
import { redisProbe } from "./redis_probe.ts";
import { tcpProbe } from "./tcp_probe.ts";
import type { Probe } from "./types.ts";
import { walArchiveNote, walArchiveReading, type WalArchiveWatch } from "./wal_archive_note.ts";

/**
 * A probe as plain data, so a service's health check can be cached and run
 * without importing its definition. Secrets are named by their setting key
 * (`passwordSetting`), never carried as values.
 */
export type ProbeSpec =
  | {
    kind: "postgres";
    host: string;
    port: number;
    user: string;
    database: string;
    timeoutMs?: number;
    /** Where to read the WAL archive's lag, added to the detail (point-in-time recovery on). */
    walArchive?: WalArchiveWatch;
  }
  | { kind: "redis"; host: string; port: number; passwordSetting?: string; timeoutMs?: number }
  | { kind: "opensearch"; url: string; timeoutMs?: number }
  | { kind: "http"; url: string; timeoutMs?: number }
  | { kind: "tcp"; host: string; port: number; timeoutMs?: number };

/** Builds the probe a spec describes; `secrets` are the service's resolved secrets by setting key. */
export function probeFromSpec(spec: ProbeSpec, secrets: Record<string, string | undefined>): Probe {
  switch (spec.kind) {
    case "postgres": {
      const probe = postgresProbe(spec.host, spec.port, spec.user, spec.database, spec.timeoutMs);
      const watch = spec.walArchive;
      if (!watch) return probe;
      return async (signal) => {
        const [result, reading] = await Promise.all([probe(signal), walArchiveReading(watch)]);
        if (!reading) return result;
        return {
          ...result,
          detail: `${result.detail}; ${walArchiveNote(reading)}`,
          walArchive: reading,
        };
      };
    }
    case "redis":
      return redisProbe(
        spec.host,
        spec.port,
        spec.passwordSetting ? secrets[spec.passwordSetting] : undefined,
        spec.timeoutMs,
      );
    case "opensearch":
      return opensearchProbe(spec.url, spec.timeoutMs);
    case "http":
      return httpProbe(spec.url, spec.timeoutMs);
    case "tcp":
      return tcpProbe(spec.host, spec.port, spec.timeoutMs);
  }
}
