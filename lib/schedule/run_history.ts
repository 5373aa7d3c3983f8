import { join } from "../posix_path.ts";
import { redactor } from "../output/redactor.ts";
import { tailLines } from "../runtime/log_file.ts";

/** How a scheduled run ended. */
export type RunOutcome = "ok" | "failed" | "timeout" | "busy";

/** One line of a schedule's history: what ran, when, how it ended, what it returned. */
export interface ScheduleRun {
  schedule: string;
  task: string;
  args: string[];
  host: string;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  /** The exit code `schedule:run` exits with (the task's; 1 after a timeout). */
  exitCode: number;
  outcome: RunOutcome;
  /** The run's output (stdout and stderr, redacted). */
  log: string;
  /** The task's `--json` document, or null when it printed none. */
  result: unknown;
}

/** Runs kept in a history file before old ones are dropped. */
const keepRuns = 500;
/** Log files kept per schedule. */
const keepLogs = 50;

/** The folder of one schedule's history, logs, lock and notification state. */
export function scheduleDir(stateDir: string, name: string): string {
  return join(stateDir, "schedules", name);
}

/** The history file of a schedule: one JSON run record a line, oldest first. */
export function historyPath(stateDir: string, name: string): string {
  return join(scheduleDir(stateDir, name), "history.ndjson");
}

/** The folder of a schedule's run logs. */
export function logDir(stateDir: string, name: string): string {
  return join(scheduleDir(stateDir, name), "logs");
}

/**
 * Appends a run record (redacted) to the schedule's history; when the file
 * holds more than twice {@link keepRuns} records, the newest are kept.
 */
export async function appendRun(stateDir: string, run: ScheduleRun): Promise<void> {
  const path = historyPath(stateDir, run.schedule);
  await Deno.mkdir(scheduleDir(stateDir, run.schedule), { recursive: true, mode: 0o750 });
  const line = redactor.redact(JSON.stringify(run)) + "\n";
  await Deno.writeTextFile(path, line, { append: true, mode: 0o640 });
  const text = await Deno.readTextFile(path);
  const lines = text.split("\n").filter((l) => l !== "");
  if (lines.length > keepRuns * 2) {
    const temp = `${path}.${Deno.pid}.tmp`;
    await Deno.writeTextFile(temp, lines.slice(-keepRuns).join("\n") + "\n", { mode: 0o640 });
    await Deno.rename(temp, path);
  }
  await pruneLogs(logDir(stateDir, run.schedule));
}

/**
 * The runs of a schedule, oldest first (the last `limit` when given: only the
 * end of the file is read and parsed); none when it never ran.
 */
export async function readRuns(
  stateDir: string,
  name: string,
  limit?: number,
): Promise<ScheduleRun[]> {
  // a line or two more than asked: a record cut short by a crash does not hide the one before
  const lines = limit === undefined
    ? await historyLines(stateDir, name)
    : (await tailLines(historyPath(stateDir, name), limit + 2)).lines;
  const runs: ScheduleRun[] = [];
  for (const line of lines) {
    const run = line === "" ? null : parseRun(line);
    if (run) runs.push(run);
  }
  return limit === undefined ? runs : runs.slice(-limit);
}

/** The newest run of a schedule, or null (the end of its history is read, not the whole file). */
export async function lastRun(stateDir: string, name: string): Promise<ScheduleRun | null> {
  return (await readRuns(stateDir, name, 1))[0] ?? null;
}

/** Runs looked at from the end of a history before the whole file is read. */
const recentRuns = 50;

/**
 * The newest run that exited 0, read from the end of the history (the last
 * {@link recentRuns} first, the whole file only when none of those did); null
 * when none did.
 */
export async function lastSuccessfulRun(
  stateDir: string,
  name: string,
): Promise<ScheduleRun | null> {
  const path = historyPath(stateDir, name);
  const recent = await tailLines(path, recentRuns);
  const found = newestSuccess(recent.lines);
  if (found || recent.lines.length < recentRuns) return found;
  return newestSuccess(await historyLines(stateDir, name));
}

function newestSuccess(lines: readonly string[]): ScheduleRun | null {
  for (let i = lines.length - 1; i >= 0; i--) {
    // cheap test first: most lines are not parsed
    if (!lines[i]!.includes('"exitCode":0,')) continue;
    const run = parseRun(lines[i]!);
    if (run?.exitCode === 0) return run;
  }
  return null;
}

async function historyLines(stateDir: string, name: string): Promise<string[]> {
  try {
    return (await Deno.readTextFile(historyPath(stateDir, name))).split("\n")
      .filter((l) => l !== "");
  } catch {
    return [];
  }
}

function parseRun(line: string): ScheduleRun | null {
  try {
    return JSON.parse(line) as ScheduleRun;
  } catch {
    // a line cut short by a crash: the others still count
    return null;
  }
}

async function pruneLogs(dir: string): Promise<void> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) if (entry.isFile) names.push(entry.name);
  } catch {
    return;
  }
  names.sort();
  for (const name of names.slice(0, Math.max(0, names.length - keepLogs))) {
    await Deno.remove(join(dir, name)).catch(() => {});
  }
}

/** When each schedule's cron line was installed (`schedule:install`), by name. */
export interface InstallRecord {
  /** The cron file written. */
  file: string;
  /** ISO time each schedule's current line was first installed. */
  installedAt: Record<string, string>;
  /** The cron expression each time refers to (a changed expression starts again). */
  cron: Record<string, string>;
}

/** One record per environment: two environments may share a state folder (tests, copies). */
function installRecordPath(stateDir: string, environment: string): string {
  return join(stateDir, "schedules", `installed-${environment}.json`);
}

/** The install record, or null when the schedules are not installed. */
export async function readInstallRecord(
  stateDir: string,
  environment: string,
): Promise<InstallRecord | null> {
  try {
    return JSON.parse(
      await Deno.readTextFile(installRecordPath(stateDir, environment)),
    ) as InstallRecord;
  } catch {
    return null;
  }
}

/** Writes (or, with null, removes) the install record. */
export async function writeInstallRecord(
  stateDir: string,
  environment: string,
  record: InstallRecord | null,
): Promise<void> {
  const path = installRecordPath(stateDir, environment);
  if (record === null) {
    await Deno.remove(path).catch(() => {});
    return;
  }
  await Deno.mkdir(join(stateDir, "schedules"), { recursive: true, mode: 0o750 });
  const temp = `${path}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(temp, JSON.stringify(record, null, 2) + "\n", { mode: 0o640 });
  await Deno.rename(temp, path);
}

/** What a schedule last told people, so a state change or a missed run is told once. */
export interface NotifyState {
  /** The outcome last notified about or seen: a failure after "ok" notifies, a success after "failed" recovers. */
  state: "ok" | "failed" | null;
  /** The due time of the last missed run notified about. */
  missedDue: string | null;
}

function notifyStatePath(stateDir: string, name: string): string {
  return join(scheduleDir(stateDir, name), "notify.json");
}

/** The notification state of a schedule. */
export async function readNotifyState(stateDir: string, name: string): Promise<NotifyState> {
  try {
    return JSON.parse(await Deno.readTextFile(notifyStatePath(stateDir, name))) as NotifyState;
  } catch {
    return { state: null, missedDue: null };
  }
}

/** Saves the notification state of a schedule. */
export async function writeNotifyState(
  stateDir: string,
  name: string,
  state: NotifyState,
): Promise<void> {
  const path = notifyStatePath(stateDir, name);
  await Deno.mkdir(scheduleDir(stateDir, name), { recursive: true, mode: 0o750 });
  const temp = `${path}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(temp, JSON.stringify(state) + "\n", { mode: 0o640 });
  await Deno.rename(temp, path);
}
