/**
 * The stack status API shared by the CLI and the dashboard.
 * @module
 */
export { dependencyMap, serviceStatus, stackStatus } from "./stack_status.ts";
export type { ServiceStatus, StackStatus } from "./stack_status.ts";
export { lifecycleOf } from "./stack_snapshot.ts";
export type {
  ActionRecord,
  Lifecycle,
  RunningAction,
  ServiceSnapshot,
  StackSnapshot,
} from "./stack_snapshot.ts";
export { LiveStackModel } from "./stack_model.ts";
export type {
  LiveStackModelOptions,
  ModelActions,
  ServiceActionOptions,
  StackModel,
} from "./stack_model.ts";
export { StaticStackModel } from "./static_stack_model.ts";
export type { StaticStackModelOptions } from "./static_stack_model.ts";
export { ActionRunner, progressFraction } from "./action_runner.ts";
export type { ActionRequest, ActionRunnerOptions } from "./action_runner.ts";
export { appendAuditEntry, auditLogPath, maskOptions } from "./audit_log.ts";
export type { AuditEntry } from "./audit_log.ts";
export { RuntimeLogStream } from "./log_stream.ts";
export type { LogLine, LogSnapshot, LogStream, LogStreamOptions } from "./log_stream.ts";
export { describeTask, runnableInDashboard, serviceActions } from "./task_summary.ts";
export type { TaskSummary } from "./task_summary.ts";
export { watchStatus } from "./watch_status.ts";
export type { WatchStatusOptions } from "./watch_status.ts";
