/**
 * Runtimes: where services run. `native` supervises local processes; `compose` drives Docker Compose.
 * @module
 */
import type { Environment } from "../config/mod.ts";
import { ComposeRuntime } from "./compose_runtime.ts";
import { NativeRuntime } from "./native_runtime.ts";
import { SwarmRuntime } from "./swarm_runtime.ts";
import type { Runtime } from "./runtime.ts";

export type {
  ExecOptions,
  LifecycleResult,
  LogOptions,
  ProcessInfo,
  Runtime,
  ScaleResult,
  ServiceState,
  StartOptions,
} from "./runtime.ts";
export { nativePaths, NativeRuntime } from "./native_runtime.ts";
export { ComposeRuntime, hostFolders } from "./compose_runtime.ts";
export { SwarmRuntime } from "./swarm_runtime.ts";
export type { SwarmRuntimeOptions, SwarmSnapshot } from "./swarm_runtime.ts";
export type { SwarmTask } from "./swarm_tasks.ts";
export type { SwarmNode } from "./swarm_nodes.ts";
export { swarmEngines } from "./swarm_engines.ts";
export type { SwarmEngines } from "./swarm_engines.ts";
export { moveImages } from "./swarm_images.ts";
export type { ImageMove, NodeEngine } from "./swarm_images.ts";
export type { ComposeRuntimeOptions } from "./compose_runtime.ts";
export { OneOffContainers, oneOffLabel } from "./one_off_container.ts";
export type { OneOffSpec, SamePathMount } from "./one_off_container.ts";
export { composeCommands, containerProgram } from "./compose_commands.ts";
export {
  composeProject,
  composeSecretFiles,
  composeSecretsDir,
  composeVariables,
} from "./compose_project.ts";
export type { ComposeProject } from "./compose_project.ts";
export {
  isAlive,
  portHolder,
  processGroupMembers,
  type ProcessStart,
  processStart,
  readProcStat,
  sameStart,
  sleep,
} from "./proc.ts";
export type { ProcStat } from "./proc.ts";
export { followLog, tailLines } from "./log_file.ts";
export { serviceUser } from "./service_user.ts";

/** The runtime an environment asks for. */
export function runtimeFor(environment: Environment): Runtime {
  if (environment.runtime === "native") return new NativeRuntime(environment);
  if (environment.runtime === "swarm") return new SwarmRuntime(environment);
  return new ComposeRuntime(environment);
}
