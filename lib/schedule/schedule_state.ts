import type { RunOutcome } from "./run_history.ts";

/** One schedule as `schedule:list --json` shows it. */
export interface ScheduleStatus {
  name: string;
  cron: string;
  timezone: string | null;
  task: string;
  args: string[];
  enabled: boolean;
  /** True when `schedule:install` put its line into the system's cron. */
  installed: boolean;
  lastRun: {
    startedAt: string;
    exitCode: number;
    durationMs: number;
    outcome: RunOutcome;
  } | null;
  /** The next due time (ISO), or null when the expression never fires again. */
  nextRun: string | null;
  /** A due time passed (plus the grace) without a run starting: cron is not running it. */
  missed: boolean;
  /** The due time that was missed. */
  missedDue: string | null;
  /** A run is going on now (pid). */
  runningPid: number | null;
}

/** The state word of a schedule in lists: off, running, missed, not installed, never run, ok, timeout, failed. */
export function scheduleState(s: ScheduleStatus): string {
  if (!s.enabled) return "off";
  if (s.runningPid !== null) return "running";
  if (s.missed) return "missed";
  if (!s.installed) return "not installed";
  if (!s.lastRun) return "never run";
  return s.lastRun.exitCode === 0 ? "ok" : s.lastRun.outcome === "timeout" ? "timeout" : "failed";
}
