import { join } from "../posix_path.ts";
import type { ConfiguredService, Environment } from "../config/environment.ts";
import { projectRoot, servicesDir } from "../project_paths.ts";
import type { ServiceContext } from "./define_service.ts";

/** The loopback address every native service listens on. */
export const localHost = "127.0.0.1";

/** The address tasks and probes reach a service at: loopback unless the runtime set another. */
export function serviceHost(service: ConfiguredService): string {
  return service.host ?? localHost;
}

/** Builds the context a service definition sees, from an environment. */
export function serviceContext(
  environment: Environment,
  service: ConfiguredService,
): ServiceContext<Record<string, unknown>> {
  const peers: ServiceContext<unknown>["peers"] = {};
  for (const other of environment.services) {
    peers[other.definition.name] = {
      settings: other.settings,
      secrets: other.secrets,
      host: serviceHost(other),
    };
  }
  return {
    name: service.definition.name,
    environment: environment.name,
    settings: service.settings,
    secrets: service.secrets,
    stateDir: service.stateDir,
    environmentFolders: {
      stateDir: environment.stateDir,
      secretsDir: join(environment.stateDir, "secrets"),
      backupDir: environment.backupDir,
    },
    serviceDir: join(servicesDir, service.definition.name),
    projectRoot,
    host: serviceHost(service),
    peers,
  };
}
