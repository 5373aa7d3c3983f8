import type { ConfiguredService, Environment } from "../config/mod.ts";
import type { ProbeResult } from "../probes/types.ts";
import type { Runtime, ServiceState } from "../runtime/runtime.ts";
import { serviceContext } from "../service/service_context.ts";

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
  dependsOn: string[];
}

/** The status of every service of an environment. */
export interface StackStatus {
  environment: string;
  services: ServiceStatus[];
}

/** Probes one service (only when its process runs) and combines it with the runtime's view. */
export async function serviceStatus(
  environment: Environment,
  runtime: Runtime,
  service: ConfiguredService,
  signal?: AbortSignal,
): Promise<ServiceStatus> {
  const info = await runtime.inspect(service);
  let probe: ProbeResult | undefined;
  if (info.state === "running" || info.state === "starting") {
    probe = await service.definition.probe(serviceContext(environment, service))(
      signal ?? AbortSignal.timeout(10_000),
    );
  }
  const startedAt = info.startedAt;
  const running = info.state === "running" || info.state === "starting";
  return {
    name: service.definition.name,
    state: info.state,
    healthy: probe?.healthy ?? false,
    latencyMs: probe?.latencyMs ?? null,
    pid: info.pid,
    port: service.port ?? null,
    detail: probe?.detail ?? info.reason ?? info.state,
    startedAt: running ? startedAt : null,
    uptimeSeconds: running && startedAt
      ? Math.max(0, Math.round((Date.now() - Date.parse(startedAt)) / 1000))
      : null,
    dependsOn: Object.keys(service.definition.dependsOn),
  };
}

/** Probes every service in parallel. */
export async function stackStatus(
  environment: Environment,
  runtime: Runtime,
  signal?: AbortSignal,
): Promise<StackStatus> {
  const services = await Promise.all(
    environment.services.map((s) => serviceStatus(environment, runtime, s, signal)),
  );
  return { environment: environment.name, services };
}

/** Service name → dependency names, for the graph functions. */
export function dependencyMap(environment: Environment): Record<string, string[]> {
  return Object.fromEntries(
    environment.services.map((s) => [s.definition.name, Object.keys(s.definition.dependsOn)]),
  );
}
