/**
 * Schedules: the `schedules:` section of an environment file, the system
 * cron file they are installed as, scheduled runs (lock, timeout, log,
 * history, notifications) and their state (last, next, missed). croner is
 * loaded by `cron_expression.ts` only: import the files you need where start-up
 * time matters.
 * @module
 */
export { CronExpression, cronProblem, sameAsHostTime, timezoneProblem } from "./cron_expression.ts";
export {
  cronFileName,
  cronFilePaths,
  installCronFile,
  removeCronFile,
  renderCronFile,
  systemCronDir,
} from "./cron_file.ts";
export type { CronFileChange } from "./cron_file.ts";
export { environmentArgument } from "../config/environment_argument.ts";
export {
  cronVariableNames,
  cronVariablesPath,
  removeCronVariables,
  writeCronVariables,
} from "./cron_variables.ts";
export type { CronVariables } from "./cron_variables.ts";
export { readDueTimes, saveDueTimes } from "./due_times.ts";
export type { DueTimes } from "./due_times.ts";
export {
  appendRun,
  lastRun,
  lastSuccessfulRun,
  readInstallRecord,
  readRuns,
} from "./run_history.ts";
export type { InstallRecord, NotifyState, RunOutcome, ScheduleRun } from "./run_history.ts";
export { runSchedule } from "./run_schedule.ts";
export type { RunScheduleOptions, ScheduledRunResult } from "./run_schedule.ts";
export { scheduleHolder, withScheduleLock } from "./schedule_lock.ts";
export {
  notificationsSchema,
  notifyEvents,
  notifyMode,
  scheduleSchema,
} from "./schedule_schema.ts";
export type { Notifications, NotifyEvent, Schedule } from "./schedule_schema.ts";
export { scheduleState } from "./schedule_state.ts";
export type { ScheduleStatus } from "./schedule_state.ts";
export { scheduleStatuses } from "./schedule_status.ts";
