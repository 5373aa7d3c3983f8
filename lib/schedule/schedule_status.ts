import type { Environment } from "../config/mod.ts";
import { readDueTimes } from "./due_times.ts";
import { lastRun, readInstallRecord } from "./run_history.ts";
import { scheduleHolder } from "./schedule_lock.ts";
import type { ScheduleStatus } from "./schedule_state.ts";

export type { ScheduleStatus };

/**
 * The state of every schedule of an environment at `now`: last run, next due
 * time, and whether a run was missed. A run is missed when, after the last
 * start (or the installation, when it never ran), a due time plus the
 * schedule's grace has passed and no run is going on; schedules that are not
 * installed or are disabled are never missed. Due times come from what
 * `schedule:install` and `schedule:run` saved (no croner on this path); only
 * when those do not reach `now` are they worked out again.
 */
export async function scheduleStatuses(
  environment: Environment,
  now: Date = new Date(),
): Promise<ScheduleStatus[]> {
  const record = await readInstallRecord(environment.stateDir, environment.name);
  return await Promise.all((environment.schedules ?? []).map(async (schedule) => {
    const [last, holder] = await Promise.all([
      lastRun(environment.stateDir, schedule.name),
      scheduleHolder(environment.stateDir, schedule.name),
    ]);
    const installedAt = record?.cron[schedule.name] === schedule.cron
      ? record.installedAt[schedule.name]
      : undefined;
    // due times follow the last start, or the installation when it never ran
    const since = Math.max(
      installedAt ? Date.parse(installedAt) : 0,
      last ? Date.parse(last.startedAt) : 0,
    );
    const saved = since > 0
      ? await readDueTimes(environment.stateDir, schedule, new Date(since))
      : null;
    const firstDue = saved?.[0] ?? null;
    let nextRun = saved?.find((d) => d > now) ?? null;
    let expected = firstDue;
    if (schedule.enabled && (nextRun === null || (since > 0 && firstDue === null))) {
      // nothing saved that reaches now: work them out (croner loads only here)
      const { CronExpression } = await import("./cron_expression.ts");
      const expression = new CronExpression(schedule.cron, schedule.timezone);
      nextRun = expression.nextAfter(now);
      if (since > 0) expected = expression.nextAfter(new Date(since));
    }
    const installed = schedule.enabled && installedAt !== undefined;
    const missedDue = installed && holder === null && expected !== null &&
        expected.getTime() + schedule.grace * 1000 <= now.getTime()
      ? expected
      : null;
    return {
      name: schedule.name,
      cron: schedule.cron,
      timezone: schedule.timezone ?? null,
      task: schedule.task,
      args: schedule.args,
      enabled: schedule.enabled,
      installed,
      lastRun: last && {
        startedAt: last.startedAt,
        exitCode: last.exitCode,
        durationMs: last.durationMs,
        outcome: last.outcome,
      },
      nextRun: schedule.enabled ? nextRun?.toISOString() ?? null : null,
      missed: missedDue !== null,
      missedDue: missedDue?.toISOString() ?? null,
      runningPid: holder?.pid ?? null,
    };
  }));
}
