import type { ConfiguredService, Environment } from "../config/mod.ts";
import type { Probe, ProbeResult } from "../probes/types.ts";
import type { WalArchiveReading } from "../probes/wal_archive_note.ts";
import type { ProcessInfo, Runtime, ServiceState } from "../runtime/runtime.ts";
import { serviceProbe } from "../service/service_probe.ts";

/** The status of one service: the `--json` contract of `status` and `health`. */
export interface ServiceStatus {
  name: string;
  state: ServiceState;
  healthy: boolean;
  latencyMs: number | null;
  pid: number | null;
  port: number | null;
  detail: string;
  startedAt: string | null;
  uptimeSeconds: number | null;
  /** Starts after a crash, as the runtime counts them (null where it keeps no count). */
  crashRestarts: number | null;
  dependsOn: string[];
  /** Replicas running of desired, where the runtime runs several (swarm). */
  replicas?: { running: number; desired: number };
  /** The nodes its replicas run on (swarm). */
  nodes?: string[];
  /** How far the WAL archive trails the server (postgres with point-in-time recovery on). */
  walArchive?: WalArchiveReading;
}

/** The status of every service of an environment. */
export interface StackStatus {
  environment: string;
  services: ServiceStatus[];
}

/**
 * Combines the runtime's view of a service with its probe result (kept only
 * when its process runs). Where the runtime reports health itself (a container
 * whose port this host cannot reach), that verdict replaces the probe's.
 */
function statusOf(
  service: ConfiguredService,
  info: ProcessInfo,
  probed: ProbeResult | undefined,
): ServiceStatus {
  const running = info.state === "running" || info.state === "starting";
  const runtimeHealth = running ? info.health : undefined;
  const probe = running && !runtimeHealth ? probed : undefined;
  const startedAt = info.startedAt;
  return {
    name: service.definition.name,
    state: info.state,
    healthy: runtimeHealth?.healthy ?? probe?.healthy ?? false,
    latencyMs: probe?.latencyMs ?? null,
    pid: info.pid,
    port: service.port ?? null,
    detail: (runtimeHealth?.detail ?? probe?.detail ?? info.reason ?? info.state) +
      companionsDetail(info),
    startedAt: running ? startedAt : null,
    uptimeSeconds: running && startedAt
      ? Math.max(0, Math.round((Date.now() - Date.parse(startedAt)) / 1000))
      : null,
    crashRestarts: info.restarts ?? null,
    dependsOn: Object.keys(service.definition.dependsOn),
    ...(info.desiredReplicas !== undefined
      ? { replicas: { running: info.replicas ?? 0, desired: info.desiredReplicas } }
      : {}),
    ...(info.nodes ? { nodes: info.nodes } : {}),
    ...(probe?.walArchive ? { walArchive: probe.walArchive } : {}),
  };
}

/** `; wal-receiver running (pid 12)` for each helper process the runtime keeps beside a service. */
function companionsDetail(info: ProcessInfo): string {
  return (info.companions ?? []).map((c) =>
    c.running ? `; ${c.name} running (pid ${c.pid})` : `; ${c.name} NOT running`
  ).join("");
}

/** The status of one service. */
export async function serviceStatus(
  environment: Environment,
  runtime: Runtime,
  service: ConfiguredService,
  signal?: AbortSignal,
): Promise<ServiceStatus> {
  return (await statuses(environment, runtime, [service], signal))[0]!;
}

/**
 * Every service's status. `probes` replaces the probe of named services (a
 * caller that needs the body of a health endpoint anyway, as `metrics` does
 * the ingestor's, asks once instead of twice).
 */
export async function stackStatus(
  environment: Environment,
  runtime: Runtime,
  signal?: AbortSignal,
  probes: Readonly<Record<string, Probe>> = {},
): Promise<StackStatus> {
  return {
    environment: environment.name,
    services: await statuses(environment, runtime, environment.services, signal, probes),
  };
}

/**
 * One look at the process table, with the probes running at the same time
 * (a probe of a service that turns out not to run is discarded).
 */
async function statuses(
  environment: Environment,
  runtime: Runtime,
  services: readonly ConfiguredService[],
  signal: AbortSignal | undefined,
  replaced: Readonly<Record<string, Probe>> = {},
): Promise<ServiceStatus[]> {
  const probeSignal = signal ?? AbortSignal.timeout(10_000);
  const [infos, probes] = await Promise.all([
    runtime.inspectAll(services),
    Promise.all(
      services.map((s) =>
        (replaced[s.definition.name] ?? serviceProbe(environment, s))(probeSignal)
      ),
    ),
  ]);
  return services.map((s, i) => statusOf(s, infos[i]!, probes[i]));
}

/** Service name → dependency names, for the graph functions. */
export function dependencyMap(environment: Environment): Record<string, string[]> {
  return Object.fromEntries(
    environment.services.map((s) => [s.definition.name, Object.keys(s.definition.dependsOn)]),
  );
}
