import type { ScheduleStatus } from "../schedule/schedule_state.ts";
import type { ServiceState } from "../runtime/runtime.ts";
import type { ServiceStatus } from "./stack_status.ts";

/** What an operator needs to know first about a service: one explicit lifecycle state. */
export type Lifecycle = "stopped" | "starting" | "healthy" | "unhealthy" | "crashed";

/** The lifecycle of a service from its runtime state and its last probe. */
export function lifecycleOf(state: ServiceState, healthy: boolean): Lifecycle {
  if (state === "running") return healthy ? "healthy" : "unhealthy";
  return state;
}

/** One service in a stack snapshot: its status plus the figures the dashboard adds. */
export interface ServiceSnapshot extends ServiceStatus {
  /** One line describing the service. */
  description: string;
  /** Runtime state and health folded into one state. */
  lifecycle: Lifecycle;
  /** Restarts seen since the model started watching (the process id changed). */
  restarts: number;
  /** CPU use of the service's processes in percent of one core, over the slow interval. */
  cpuPercent: number | null;
  /** Resident memory of the service's processes in KiB. */
  memoryKb: number | null;
  /** When the newest backup with a manifest finished (ISO), null when none is known. */
  lastBackupAt: string | null;
  /** Every service that needs this one, directly or through others. */
  dependents: string[];
  /** Dependencies that do not meet their condition right now. */
  waitingOn: string[];
  /** Actions the service offers beyond the lifecycle ones (backup, flush...). */
  capabilities: string[];
}

/** A task that is running from the dashboard. */
export interface RunningAction {
  id: number;
  taskId: string;
  service: string | null;
  startedAt: string;
  /** Completed fraction (0..1) when the task reports one, else null. */
  progress: number | null;
  /** The last progress message of the task. */
  message: string | null;
}

/** A finished action, as the history and the audit log keep it. */
export interface ActionRecord {
  id: number;
  taskId: string;
  service: string | null;
  /** Option values, with secret-looking ones masked. */
  options: Record<string, unknown>;
  args: string[];
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** The task's exit code: 0 ok, 1 failed, 2 refused or bad input, 75 busy. */
  exitCode: number;
  /** One line for the operator: the first line of the result, or the error. */
  message: string;
  /** The next step of an error, when it has one. */
  hint: string | null;
  /** The result as the CLI prints it (plain lines, redacted, bounded). */
  output: string[];
}

/** Everything the dashboard and `status --watch` show: plain serialisable data. */
export interface StackSnapshot {
  environment: string;
  /** True for environments where dangerous tasks need `--force` (production). */
  protected: boolean;
  runtime: string;
  /** When the last status poll finished (ISO), null before the first one. */
  updatedAt: string | null;
  /** When the last slow poll (CPU, memory, backups) finished (ISO). */
  metricsAt: string | null;
  services: ServiceSnapshot[];
  /** Start waves of the dependency graph. */
  waves: string[][];
  /** Why the last poll failed, when it did. */
  error: string | null;
  running: RunningAction[];
  /** Finished actions, oldest first (bounded). */
  history: ActionRecord[];
  /** The environment's schedules: last and next run, result, missed (absent: not read yet). */
  schedules?: ScheduleStatus[];
}
