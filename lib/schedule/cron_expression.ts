import { Cron } from "croner";

/**
 * A five-field cron expression as Debian's cron reads it (minute, hour, day
 * of month, month, day of week: numbers, names, `*`, ranges, lists and
 * steps), evaluated with croner in a time zone. Croner's extensions that
 * cron would not understand (seconds, `L`, `W`, `#`, `?`) are refused, since
 * the same text is written to `/etc/cron.d`.
 */
export class CronExpression {
  readonly text: string;
  readonly timezone: string | undefined;
  readonly #cron: Cron;

  /** @throws {Error} with a message naming what is wrong with the expression. */
  constructor(text: string, timezone?: string) {
    const problem = cronProblem(text);
    if (problem) throw new Error(problem);
    this.text = text.trim().split(/\s+/).join(" ");
    this.timezone = timezone;
    // domAndDow false: a day of month and a day of week both given match either, as cron does
    this.#cron = new Cron(this.text, {
      paused: true,
      ...(timezone ? { timezone } : {}),
      domAndDow: false,
    });
  }

  /** The first time strictly after `after`. */
  nextAfter(after: Date): Date | null {
    return this.#cron.nextRun(after);
  }

  /** The last time at or before `at`. */
  previousAt(at: Date): Date | null {
    const probe = new Date(at.getTime() + 1000);
    return this.#cron.previousRuns(1, probe)[0] ?? null;
  }

  /** True when the minute containing `at` is one of the expression's times. */
  matchesMinute(at: Date): boolean {
    const minute = new Date(Math.floor(at.getTime() / 60_000) * 60_000);
    return this.#cron.match(minute);
  }
}

const croneronly = /[LW#?]/;

/** What is wrong with a cron expression for Debian's cron, or undefined when nothing is. */
export function cronProblem(text: string): string | undefined {
  const fields = text.trim().split(/\s+/).filter((f) => f !== "");
  if (fields.length !== 5) {
    return `expected five fields (minute hour day-of-month month day-of-week), got ${fields.length}`;
  }
  const bad = fields.find((f) => croneronly.test(f.toUpperCase().replace(/[A-Z]{3}/g, "")));
  if (bad) return `${JSON.stringify(bad)}: L, W, # and ? are not understood by cron`;
  try {
    new Cron(fields.join(" "), { paused: true });
  } catch (error) {
    return (error instanceof Error ? error.message : String(error)).replace(/^CronPattern: /, "");
  }
  return undefined;
}

/** What is wrong with an IANA time zone name, or undefined when it is known. */
export function timezoneProblem(name: string): string | undefined {
  try {
    new Intl.DateTimeFormat("en", { timeZone: name });
    return undefined;
  } catch {
    return `unknown time zone ${JSON.stringify(name)} (use an IANA name such as Europe/Berlin)`;
  }
}

/**
 * True when `timezone` keeps the same UTC offset as this host's local time
 * over the coming year (cron runs lines in the host's time, and Debian's
 * cron has no CRON_TZ): then the expression can be written as it is.
 */
export function sameAsHostTime(timezone: string | undefined, from = new Date()): boolean {
  if (timezone === undefined) return true;
  const offset = (zone: string | undefined, at: Date) => {
    const parts = new Intl.DateTimeFormat("en-US", {
      ...(zone ? { timeZone: zone } : {}),
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
    }).formatToParts(at);
    const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
    return Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute")) -
      Math.floor(at.getTime() / 60_000) * 60_000;
  };
  for (let day = 0; day <= 366; day += 3) {
    const at = new Date(from.getTime() + day * 86_400_000);
    if (offset(timezone, at) !== offset(undefined, at)) return false;
  }
  return true;
}
