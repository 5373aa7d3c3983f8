import type { z } from "zod";
import type { ProbeSpec } from "../probes/probe_spec.ts";
import type { Probe } from "../probes/types.ts";

/** What a dependent needs of a dependency before it may start. */
export type DependencyCondition = "healthy" | "started";

/** The values a service definition sees when it builds its probe or launch spec. */
export interface ServiceContext<S> {
  /** The service name (folder name). */
  name: string;
  /** The environment name (`local`, `staging`...). */
  environment: string;
  /** Validated settings of this service in the environment file (secret settings keep their reference). */
  settings: S;
  /** Resolved secret values by setting key; redacted everywhere on output. */
  secrets: Record<string, string | undefined>;
  /** This service's own state folder (data, config, logs, pid file). */
  stateDir: string;
  /** The environment's folders no app may read from: all state, the secrets, the backups. */
  environmentFolders: { stateDir: string; secretsDir: string; backupDir: string };
  /** The folder holding `service.ts` and its config files. */
  serviceDir: string;
  /** The project root. */
  projectRoot: string;
  /** Host the service listens on (loopback for the native runtime). */
  host: string;
  /** Resolved settings and secrets of the other services, for apps that connect to them. */
  peers: Record<
    string,
    { settings: Record<string, unknown>; secrets: Record<string, string | undefined>; host: string }
  >;
}

/** How the native runtime runs a service as a local process. */
export interface NativeSpec {
  /** Program and arguments; the program may be absolute or found on PATH. */
  command: string[];
  /** Extra environment variables for the process. */
  env?: Record<string, string>;
  /** Working directory (defaults to the service state folder). */
  cwd?: string;
  /** Signal for a graceful stop. */
  stopSignal: Deno.Signal;
  /** How long a graceful stop may take before SIGKILL. */
  stopTimeoutMs: number;
  /** How long the readiness wait may take. */
  readyTimeoutMs: number;
  /**
   * A file in which the server writes its own pid (first line) and which makes
   * it refuse to start while that pid exists (PostgreSQL's postmaster.pid):
   * after a crash, a start first waits until that process is gone.
   */
  pidLockFile?: string;
  /**
   * Helper processes that run beside the service while it runs (PostgreSQL's
   * WAL receiver): each started once the service is ready, in its own process
   * group with its own pid file (`run/<name>.pid`) and log (`logs/<name>.log`),
   * as the same user, and stopped before the service. One that died is
   * started again by the next start of the service (a companion that must
   * never stop keeps itself alive with its own loop).
   */
  companions?: NativeCompanion[];
  /**
   * The service can hand its port over to a new process without closing it
   * (`./ops deploy`): the program binds its port with SO_REUSEPORT, so a new
   * process can start beside the running one. `env` is added to the new
   * process's environment (e.g. to bind only once it is healthy itself).
   */
  handover?: { env?: Record<string, string> };
  /** Writes config files and initialises data before each start. */
  prepare?: (tools: NativeTools) => Promise<void>;
  /** Runs once, after the first start that reached healthy (e.g. init SQL). */
  initialise?: (tools: NativeTools) => Promise<void>;
}

/** A helper process of a native service, see {@link NativeSpec.companions}. */
export interface NativeCompanion {
  /** Names its pid and log files, and it in `status`. */
  name: string;
  command: string[];
  env?: Record<string, string>;
}

/** What the native runtime lends a service's prepare and initialise steps. */
export interface NativeTools {
  /**
   * Runs a program to completion, as the service user when the spec drops
   * root, and returns its stdout.
   * @throws {FailedError} on a non-zero exit, with the tail of stderr.
   */
  run(
    argv: string[],
    options?: { env?: Record<string, string>; stdin?: string; asServiceUser?: boolean },
  ): Promise<string>;
  /** Creates a folder (and parents) owned by the service user. */
  mkdir(path: string, mode?: number): Promise<void>;
  /** Writes a file owned by the service user, with the given mode. */
  writeFile(path: string, content: string, mode?: number): Promise<void>;
}

/** A typed service definition: what runs, how it is healthy, what it needs. */
export interface ServiceDefinition<S = Record<string, unknown>> {
  /** Service name; must equal its folder name. */
  name: string;
  /** One line for `--help` and the dashboard. */
  description: string;
  /** Dependencies and the condition each must meet. */
  dependsOn: Record<string, DependencyCondition>;
  /** Schema of this service's section in an environment file. */
  settings: z.ZodType<S>;
  /** The TCP port the service listens on, from its settings. */
  port: (settings: S) => number | undefined;
  /**
   * Ports it binds besides that one, by setting name (OpenSearch's transport
   * port): no two ports of an environment may be equal.
   */
  otherPorts?: (settings: S) => Record<string, number>;
  /**
   * The health probe: preferably a {@link ProbeSpec} (plain data, which lets
   * `status` and `health` run it from the environment snapshot without
   * importing this module), or a probe function.
   */
  probe: (ctx: ServiceContext<S>) => ProbeSpec | Probe;
  /** Builds the native launch spec. */
  native: (ctx: ServiceContext<S>) => NativeSpec;
  /** Names of the actions this service offers beyond start/stop/restart/logs (backup, flush, ingest...). */
  capabilities: string[];
  /**
   * Variables this service's compose file interpolates beyond its settings
   * (the compose runtime passes every scalar setting as
   * `HAILMARY_<SERVICE>_<SETTING>` itself): the ingestor's inbox as a real path.
   */
  composeVariables?: (ctx: ServiceContext<S>) => Record<string, string>;
  /**
   * Settings a runtime cannot honour, by setting name, each with why and what
   * to do instead: the loader refuses them naming the file's line, so
   * `config:validate` says so rather than the setting being ignored.
   */
  unsupported?: (settings: S, runtime: "native" | "compose" | "swarm") => Record<string, string>;
}

/**
 * Declares a service. Identity function that keeps the settings type.
 * @example
 * export default defineService({ name: "redis", dependsOn: {}, ... });
 */
export function defineService<S>(definition: ServiceDefinition<S>): ServiceDefinition<S> {
  return definition;
}

/** A service definition with its settings type erased, as the engine handles it. */
// deno-lint-ignore no-explicit-any
export type AnyServiceDefinition = ServiceDefinition<any>;
