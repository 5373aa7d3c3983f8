import { join } from "../posix_path.ts";
import { scheduleDir } from "./run_history.ts";
import type { Schedule } from "./schedule_schema.ts";

/**
 * A schedule's coming due times after a point (its last start, or its
 * installation), worked out with croner when it is installed or runs and
 * kept beside its history: `metrics` and `schedule:list` read them instead
 * of loading croner, so reporting on schedules costs a file read. They are
 * valid only for the expression, time zone and point they were made for.
 */
export interface DueTimes {
  cron: string;
  timezone: string | null;
  /** ISO time they follow. */
  from: string;
  /** ISO due times after `from`, oldest first. */
  due: string[];
}

/** Due times kept per schedule (an every-minute schedule: an hour ahead). */
const keep = 64;

function dueTimesPath(stateDir: string, name: string): string {
  return join(scheduleDir(stateDir, name), "due.json");
}

/** Works out and saves the due times of a schedule after `from`. */
export async function saveDueTimes(
  stateDir: string,
  schedule: Schedule,
  from: Date,
): Promise<void> {
  const { CronExpression } = await import("./cron_expression.ts");
  const expression = new CronExpression(schedule.cron, schedule.timezone);
  const due: string[] = [];
  for (let at: Date | null = from; due.length < keep;) {
    at = expression.nextAfter(at);
    if (!at) break;
    due.push(at.toISOString());
  }
  const record: DueTimes = {
    cron: schedule.cron,
    timezone: schedule.timezone ?? null,
    from: from.toISOString(),
    due,
  };
  const path = dueTimesPath(stateDir, schedule.name);
  await Deno.mkdir(scheduleDir(stateDir, schedule.name), { recursive: true, mode: 0o750 });
  const temp = `${path}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(temp, JSON.stringify(record) + "\n", { mode: 0o640 });
  await Deno.rename(temp, path);
}

/** The saved due times of a schedule when they were made for its expression and `from`, else null. */
export async function readDueTimes(
  stateDir: string,
  schedule: Schedule,
  from: Date,
): Promise<Date[] | null> {
  try {
    const record = JSON.parse(
      await Deno.readTextFile(dueTimesPath(stateDir, schedule.name)),
    ) as DueTimes;
    if (
      record.cron !== schedule.cron || record.timezone !== (schedule.timezone ?? null) ||
      Date.parse(record.from) !== from.getTime()
    ) return null;
    return record.due.map((d) => new Date(d));
  } catch {
    return null;
  }
}
