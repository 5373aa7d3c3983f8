/**
 * The shape of a loaded environment, apart from the loader: the service
 * context and the snapshot need the types without importing the loader.
 * @module
 */
import type { AnyServiceDefinition } from "../service/define_service.ts";
import type { ComposeSection, RuntimeKind, SwarmSection } from "./environment_schema.ts";
import type { Notifications, Schedule } from "../schedule/schedule_schema.ts";

/** One service as configured in an environment. */
export interface ConfiguredService {
  /** The service definition. */
  definition: AnyServiceDefinition;
  /** Validated settings (secret settings hold their reference, never the value). */
  settings: Record<string, unknown>;
  /** Resolved secret values by setting key. */
  secrets: Record<string, string | undefined>;
  /** The port from the settings, when the service listens on one. */
  port: number | undefined;
  /** The service's state folder. */
  stateDir: string;
  /**
   * Where tasks and probes reach the service when not on loopback: the
   * compose runtime sets its container's address on the project network for a
   * service that publishes no port on this host (production).
   */
  host?: string;
}

/** A loaded, validated environment: the input of every task. */
export interface Environment {
  /** Environment name. */
  name: string;
  /** The file it came from. */
  file: string;
  /** Runtime kind. */
  runtime: RuntimeKind;
  /** True for environments where dangerous tasks need `--force` (production). */
  protected: boolean;
  /** Absolute state folder. */
  stateDir: string;
  /** Absolute backup folder. */
  backupDir: string;
  /** Unprivileged user services run as when the runtime runs as root. */
  serviceUser: string;
  /** Services of this environment, in name order. */
  services: ConfiguredService[];
  /** The `compose:` section as written (the compose runtime fills in its defaults). */
  compose?: ComposeSection;
  /** The `swarm:` section as written (the swarm runtime fills in its defaults). */
  swarm?: SwarmSection;
  /** The `schedules:` section (absent: none). */
  schedules?: Schedule[];
  /** The `notifications:` section; webhook URLs stay references until a notification is sent. */
  notifications?: Notifications;
}
