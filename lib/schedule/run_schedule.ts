import type { Environment } from "../config/mod.ts";
import { join } from "../posix_path.ts";
import { projectRoot } from "../project_paths.ts";
import { redactor } from "../output/redactor.ts";
import { sendSignal } from "../runtime/send_signal.ts";
import { type Delivery, notificationText, sendNotification } from "../notify/webhook.ts";
import {
  appendRun,
  lastRun,
  logDir,
  readNotifyState,
  type RunOutcome,
  type ScheduleRun,
  writeNotifyState,
} from "./run_history.ts";
import { withScheduleLock } from "./schedule_lock.ts";
import { environmentArgument } from "../config/environment_argument.ts";
import { saveDueTimes } from "./due_times.ts";
import { notifyMode, type Schedule } from "./schedule_schema.ts";

/** Seconds between SIGTERM and SIGKILL when a run outlives its timeout. */
const killAfterSeconds = 10;
/** Lines of output a notification carries. */
const tailLines = 20;

/** A finished scheduled run and the notifications it sent. */
export interface ScheduledRunResult extends ScheduleRun {
  notifications: { event: string; deliveries: Delivery[] }[];
}

/** Options of {@link runSchedule}. */
export interface RunScheduleOptions {
  signal?: AbortSignal;
  /** Warnings (undelivered notifications). */
  warn?: (text: string) => void;
  /** The entry that runs the task (default the project's `./ops`). */
  entry?: string;
}

/**
 * Runs a schedule's task once, the way an operator would: `./ops <task>
 * <args> --env <file> --json` as a child process in its own process group
 * (so it runs under its own permission set and a timeout can stop all of it,
 * the programs it started included), under the schedule's lock. Its output
 * goes to a log file, a run record to the history, and a failure, a recovery
 * or (for state-change schedules) a change of state to the webhooks.
 * @throws {BusyError} when a run of the same schedule is still going on.
 */
export async function runSchedule(
  environment: Environment,
  schedule: Schedule,
  options: RunScheduleOptions = {},
): Promise<ScheduledRunResult> {
  return await withScheduleLock(environment.stateDir, schedule.name, async () => {
    const previous = await lastRun(environment.stateDir, schedule.name);
    const run = await execute(environment, schedule, options);
    await appendRun(environment.stateDir, run);
    await saveDueTimes(environment.stateDir, schedule, new Date(run.startedAt));
    const notifications = await notifyAfterRun(environment, schedule, run, previous, options);
    return { ...run, notifications };
  });
}

async function execute(
  environment: Environment,
  schedule: Schedule,
  options: RunScheduleOptions,
): Promise<ScheduleRun> {
  const started = new Date();
  const logs = logDir(environment.stateDir, schedule.name);
  await Deno.mkdir(logs, { recursive: true, mode: 0o750 });
  const log = join(logs, `${started.toISOString().replace(/[:.]/g, "-")}.log`);
  using file = await Deno.open(log, { write: true, create: true, append: true, mode: 0o640 });
  const encoder = new TextEncoder();
  const write = (text: string) => file.writeSync(encoder.encode(redactor.redact(text)));
  const args = [
    schedule.task,
    ...schedule.args,
    "--env",
    environmentArgument(environment),
    "--json",
  ];
  write(`# ${started.toISOString()} schedule ${schedule.name}: ./ops ${args.join(" ")}\n`);

  // setsid: the task and everything it starts form one process group the timeout can stop
  const child = new Deno.Command("setsid", {
    args: [options.entry ?? join(projectRoot, "ops"), ...args],
    cwd: projectRoot,
    env: { NO_COLOR: "1", OPS_SCHEDULE: schedule.name },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const stop = async (signal: Deno.Signal) => {
    await sendSignal(-child.pid, signal).catch(() => false);
  };
  let killer: ReturnType<typeof setTimeout> | undefined;
  const terminate = () => {
    void stop("SIGTERM");
    killer ??= setTimeout(() => void stop("SIGKILL"), killAfterSeconds * 1000);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    write(`# timeout: still running after ${schedule.timeout} s, stopping it\n`);
    terminate();
  }, schedule.timeout * 1000);
  options.signal?.addEventListener("abort", terminate, { once: true });

  const decoder = new TextDecoder();
  let stdout = "";
  const readStdout = (async () => {
    for await (const chunk of child.stdout) stdout += decoder.decode(chunk, { stream: true });
  })();
  const readStderr = (async () => {
    for await (const chunk of child.stderr) {
      write(decoder.decode(chunk, { stream: true }));
    }
  })();
  const status = await child.status;
  await Promise.all([readStdout, readStderr]);
  clearTimeout(timer);
  clearTimeout(killer);
  options.signal?.removeEventListener("abort", terminate);
  const ended = new Date();

  let result: unknown = null;
  if (stdout.trim() !== "") {
    write(stdout.endsWith("\n") ? stdout : stdout + "\n");
    try {
      result = JSON.parse(stdout);
    } catch {
      result = null;
    }
  }
  const outcome: RunOutcome = timedOut ? "timeout" : status.code === 0 ? "ok" : "failed";
  const exitCode = timedOut ? 1 : [0, 1, 2, 75].includes(status.code) ? status.code : 1;
  write(
    `# ${ended.toISOString()} ${outcome}: exit ${status.code}${
      status.signal ? ` (${status.signal})` : ""
    } after ${ended.getTime() - started.getTime()} ms\n`,
  );
  return {
    schedule: schedule.name,
    task: schedule.task,
    args: schedule.args,
    host: Deno.hostname(),
    startedAt: started.toISOString(),
    endedAt: ended.toISOString(),
    durationMs: ended.getTime() - started.getTime(),
    exitCode,
    outcome,
    log,
    result: redactor.redactValue(result),
  };
}

/** The last lines of a run's log, redacted. */
export async function outputTail(log: string, lines = tailLines): Promise<string[]> {
  try {
    const text = await Deno.readTextFile(log);
    return redactor.redact(text).split("\n").filter((l) => l !== "" && !l.startsWith("# "))
      .slice(-lines);
  } catch {
    return [];
  }
}

async function notifyAfterRun(
  environment: Environment,
  schedule: Schedule,
  run: ScheduleRun,
  previous: ScheduleRun | null,
  options: RunScheduleOptions,
): Promise<{ event: string; deliveries: Delivery[] }[]> {
  const state = await readNotifyState(environment.stateDir, schedule.name);
  const before = state.state ?? (previous ? (previous.exitCode === 0 ? "ok" : "failed") : null);
  const failed = run.exitCode !== 0;
  let event: "failure" | "recovery" | null = null;
  if (failed && schedule.notify.includes("failure")) {
    if (notifyMode(schedule) === "each-failure" || before !== "failed") event = "failure";
  } else if (!failed && before === "failed" && schedule.notify.includes("recovery")) {
    event = "recovery";
  }
  await writeNotifyState(environment.stateDir, schedule.name, {
    ...state,
    state: failed ? "failed" : "ok",
  });
  if (event === null || (environment.notifications?.webhooks ?? []).length === 0) return [];
  const base = {
    event,
    environment: environment.name,
    host: run.host,
    schedule: schedule.name,
    task: schedule.task,
    exitCode: run.exitCode,
    durationMs: run.durationMs,
    startedAt: run.startedAt,
    dueAt: null,
    output: await outputTail(run.log),
  };
  const deliveries = await sendNotification(
    environment,
    { ...base, text: notificationText(base) },
    options.warn ? { warn: options.warn } : {},
  );
  return [{ event, deliveries }];
}
