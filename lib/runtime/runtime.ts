import type { ConfiguredService, Environment } from "../config/mod.ts";
import type { ProbeResult } from "../probes/types.ts";
import type { OneOffContainers } from "./one_off_container.ts";

/** Lifecycle state of a service as the runtime sees its process or container. */
export type ServiceState = "running" | "stopped" | "crashed" | "starting";

/** What the runtime knows of one service's process. */
export interface ProcessInfo {
  state: ServiceState;
  pid: number | null;
  /** ISO time the current process started, when running. */
  startedAt: string | null;
  /** Why the service is crashed or stopped, when known. */
  reason?: string;
  /**
   * The runtime's own health verdict, set only where the service's probe cannot
   * reach it from this host (a container whose port is not published, as in
   * production): status and health use it instead of the probe.
   */
  health?: { healthy: boolean; detail: string };
  /**
   * Times the service was started again after it crashed: native, since it was
   * last stopped on purpose; compose, Docker's restart count (summed over replicas).
   */
  restarts?: number;
  /** Running replicas, when the runtime can run several (compose scale, swarm). */
  replicas?: number;
  /** Replicas the orchestrator wants (swarm): `replicas` of `desiredReplicas` are running. */
  desiredReplicas?: number;
  /** The nodes running the service's replicas (swarm). */
  nodes?: string[];
  /** Helper processes beside it (native companions, such as PostgreSQL's WAL receiver). */
  companions?: { name: string; pid: number | null; running: boolean }[];
}

/** Options of {@link Runtime.start}. */
export interface StartOptions {
  /** Cancels the readiness wait. */
  signal?: AbortSignal;
  /** Called with each probe result during the readiness wait. */
  onProbe?: (result: ProbeResult) => void;
}

/** The outcome of a start or stop. */
export interface LifecycleResult {
  service: string;
  /** What was done: `started`, `already running`, `stopped`, `already stopped`, `cleared crashed state`... */
  action: string;
  pid: number | null;
  durationMs: number;
}

/** Options of {@link Runtime.logs}. */
export interface LogOptions {
  /** Last N lines (default 100). */
  tail: number;
  /** Keep reading new lines until the signal aborts. */
  follow: boolean;
  signal?: AbortSignal;
}

/** Where services run: local processes (`native`) or containers (`compose`). */
export interface Runtime {
  readonly kind: "native" | "compose" | "swarm";
  /** Starts a service and waits until its probe is healthy. Idempotent. */
  start(service: ConfiguredService, options?: StartOptions): Promise<LifecycleResult>;
  /** Stops a service gracefully (then forcibly). Idempotent. */
  stop(service: ConfiguredService): Promise<LifecycleResult>;
  /** The current process state of a service. */
  inspect(service: ConfiguredService): Promise<ProcessInfo>;
  /** The process states of several services at once (one look at the process table). */
  inspectAll(services: readonly ConfiguredService[]): Promise<ProcessInfo[]>;
  /** Log lines of a service, the last `tail` first, then new ones while following. */
  logs(service: ConfiguredService, options: LogOptions): AsyncIterable<string>;
  /** Runs a client program (pg_dump, redis-cli...) where the service runs. */
  exec(service: ConfiguredService, argv: string[], options?: ExecOptions): Deno.ChildProcess;
  /**
   * Sets the number of replicas of a stateless service and waits until they
   * are healthy. Only runtimes that can run replicas offer it (compose).
   */
  scale?(service: ConfiguredService, replicas: number): Promise<ScaleResult>;
  /**
   * Containers of a service's own image for one-off programs and servers
   * (runtimes that run images offer it: compose).
   */
  oneOff?(service: ConfiguredService): Promise<OneOffContainers>;
  /**
   * Puts a new process of a running service in place without closing its
   * port: the new one starts beside the old, and the old stops only once the
   * new one is healthy; otherwise the new one is stopped and the old keeps
   * serving. Only the native runtime offers it, for services that declare a
   * hand-over (web); a stopped service is simply started.
   */
  replace?(service: ConfiguredService, options?: ReplaceOptions): Promise<LifecycleResult>;
  /**
   * Sets `host` on the environment's services that are not reachable on
   * loopback (compose without published ports). Called before a task runs.
   */
  resolveAddresses?(): Promise<void>;
  /**
   * Every `host:port` a task may reach a service at while it runs, beyond
   * the addresses set by {@link resolveAddresses} (swarm: each node's address
   * with each service's port, as a drain or a restart moves a task to
   * another node). Read after resolveAddresses.
   */
  reachableAddresses?(): string[];
  /** The environment this runtime serves. */
  readonly environment: Environment;
}

/** Options of {@link Runtime.replace}. */
export interface ReplaceOptions {
  signal?: AbortSignal;
  /** How long the new process may take to become healthy (default: the service's ready timeout). */
  readyTimeoutMs?: number;
}

/** The outcome of {@link Runtime.scale}. */
export interface ScaleResult {
  service: string;
  /** Replicas running afterwards. */
  replicas: number;
  durationMs: number;
}

/** Options of {@link Runtime.exec}. */
export interface ExecOptions {
  env?: Record<string, string>;
  stdin?: "piped" | "inherit" | "null";
  stdout?: "piped" | "inherit" | "null";
  stderr?: "piped" | "inherit" | "null";
  /** Run as the service user (native runtime as root). */
  asServiceUser?: boolean;
  cwd?: string;
}
