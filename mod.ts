/**
 * HailMary Ops: a typed task library that operates the HailMary stack
 * (PostgreSQL, OpenSearch, Redis, web, ingestor).
 *
 * @example
 * ```ts
 * import { findTask, runTask, taskRegistry } from "./mod.ts";
 * const { result, exitCode } = await runTask(findTask(taskRegistry(), "status"), { env: "local" });
 * console.log(exitCode, result);
 * ```
 * @module
 */
export { taskRegistry } from "./tasks/registry.ts";
export { findTask, runTask } from "./lib/task/run_task.ts";
export type { RunTaskOptions, TaskOutcome } from "./lib/task/run_task.ts";
export { defineTask } from "./lib/task/define_task.ts";
export type { AnyTask, OptionSpec, TaskDefinition } from "./lib/task/define_task.ts";
export type { TaskContext } from "./lib/task/task_context.ts";
export { loadEnvironment, selectEnvironment } from "./lib/config/mod.ts";
export type { ConfiguredService, Environment } from "./lib/config/mod.ts";
export { defineService, loadServices } from "./lib/service/mod.ts";
export type { ServiceContext, ServiceDefinition } from "./lib/service/mod.ts";
export { dependencyWaves, dependentsOf } from "./lib/graph/mod.ts";
export { stackStatus } from "./lib/stack/mod.ts";
export type { ServiceStatus, StackStatus } from "./lib/stack/mod.ts";
export { runtimeFor } from "./lib/runtime/mod.ts";
export { scheduleStatuses } from "./lib/schedule/schedule_status.ts";
export type { Schedule, ScheduleStatus } from "./lib/schedule/mod.ts";
export { MetricsCollector } from "./lib/metrics/mod.ts";
export { sendNotification } from "./lib/notify/mod.ts";
export type { NotificationPayload } from "./lib/notify/mod.ts";
export type { Runtime, ServiceState } from "./lib/runtime/mod.ts";
export { readReleases } from "./lib/deploy/mod.ts";
export type { Release } from "./lib/deploy/mod.ts";
export { BusyError, ExitCode, FailedError, OpsError, UsageError } from "./lib/errors.ts";

if (import.meta.main) {
  // deno.json's tasks use the leaner tasks/cli.ts; this keeps `deno run mod.ts <task>` working too
  const { main } = await import("./lib/cli/main.ts");
  const { taskRegistry } = await import("./tasks/registry.ts");
  const { findTask } = await import("./lib/task/find_task.ts");
  const tasks = taskRegistry();
  Deno.exit(
    await main(Deno.args, {
      index: tasks.map((task) => ({ ...task, module: "registry" })),
      load: (entry) => Promise.resolve(findTask(tasks, entry.id)),
    }),
  );
}
