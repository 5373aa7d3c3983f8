import type { ConfiguredService, Environment } from "../config/environment.ts";
import { probeFromSpec } from "../probes/probe_spec.ts";
import type { Probe } from "../probes/types.ts";
import { serviceContext } from "./service_context.ts";

/** The runnable health probe of a configured service (from its spec or its probe function). */
export function serviceProbe(environment: Environment, service: ConfiguredService): Probe {
  const probe = service.definition.probe(serviceContext(environment, service));
  return typeof probe === "function" ? probe : probeFromSpec(probe, service.secrets);
}
