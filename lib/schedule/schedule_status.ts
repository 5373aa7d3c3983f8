import type { Environment } from "../config/mod.ts";
import { CronExpression } from "./cron_expression.ts";
import { lastRun, readInstallRecord, type RunOutcome } from "./run_history.ts";
import type { Schedule } from "./schedule_schema.ts";
import { scheduleHolder } from "./schedule_lock.ts";
import type { ScheduleStatus } from "./schedule_state.ts";

export type { ScheduleStatus };

/**
 * The state of every schedule of an environment at `now`: last run, next due
 * time, and whether a run was missed. A run is missed when, after the last
 * start (or the installation, when it never ran), a due time plus the
 * schedule's grace has passed and no run is going on; schedules that are not
 * installed or are disabled are never missed.
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
    return statusOf(schedule, {
      last,
      installedAt,
      runningPid: holder?.pid ?? null,
      now,
    });
  }));
}

function statusOf(
  schedule: Schedule,
  facts: {
    last: Awaited<ReturnType<typeof lastRun>>;
    installedAt: string | undefined;
    runningPid: number | null;
    now: Date;
  },
): ScheduleStatus {
  const expression = new CronExpression(schedule.cron, schedule.timezone);
  const installed = schedule.enabled && facts.installedAt !== undefined;
  let missedDue: Date | null = null;
  if (installed && facts.runningPid === null) {
    const since = Math.max(
      Date.parse(facts.installedAt!),
      facts.last ? Date.parse(facts.last.startedAt) : 0,
    );
    const due = expression.nextAfter(new Date(since));
    if (due && due.getTime() + schedule.grace * 1000 <= facts.now.getTime()) missedDue = due;
  }
  return {
    name: schedule.name,
    cron: schedule.cron,
    timezone: schedule.timezone ?? null,
    task: schedule.task,
    args: schedule.args,
    enabled: schedule.enabled,
    installed,
    lastRun: facts.last && {
      startedAt: facts.last.startedAt,
      exitCode: facts.last.exitCode,
      durationMs: facts.last.durationMs,
      outcome: facts.last.outcome,
    },
    nextRun: schedule.enabled ? expression.nextAfter(facts.now)?.toISOString() ?? null : null,
    missed: missedDue !== null,
    missedDue: missedDue?.toISOString() ?? null,
    runningPid: facts.runningPid,
  };
}
