import type { Environment } from "../lib/config/mod.ts";
import { join } from "../lib/posix_path.ts";
import { projectRoot, resolveTyped } from "../lib/project_paths.ts";
import { FailedError, UsageError } from "../lib/errors.ts";
import type { Output } from "../lib/output/mod.ts";
import { renderTable } from "../lib/output/mod.ts";
import { suggest } from "../lib/suggest.ts";
import { webhookNeeds } from "../lib/notify/webhook_needs.ts";
import { type AnyTask, defineTask } from "../lib/task/define_task.ts";
import type { TaskContext } from "../lib/task/task_context.ts";
import type { Schedule } from "../lib/schedule/schedule_schema.ts";
import { scheduleState, type ScheduleStatus } from "../lib/schedule/schedule_state.ts";
import type { ScheduledRunResult } from "../lib/schedule/run_schedule.ts";
import type { CronFileChange } from "../lib/schedule/cron_file.ts";
import type { Delivery } from "../lib/notify/webhook.ts";

/** The result of `schedule:install` and `schedule:uninstall`. */
export interface CronInstallResult {
  environment: string;
  file: string;
  change: CronFileChange;
  schedules: { name: string; cron: string; task: string }[];
  cronRunning: boolean;
}

/** The result of `schedule:list`. */
export interface ScheduleList {
  environment: string;
  schedules: ScheduleStatus[];
}

/** The result of `schedule:check`. */
export interface ScheduleCheck {
  environment: string;
  missed: { name: string; dueAt: string; notified: boolean; deliveries: Delivery[] }[];
}

/** A schedule of the environment by name. @throws {UsageError} naming the closest. */
function findSchedule(environment: Environment, name: string): Schedule {
  const schedules = environment.schedules ?? [];
  const found = schedules.find((s) => s.name === name);
  if (found) return found;
  const names = schedules.map((s) => s.name);
  const guess = suggest(name, names);
  throw new UsageError(
    `unknown schedule ${JSON.stringify(name)} in environment ${environment.name}`,
    guess
      ? `did you mean '${guess}'? ./ops schedule:list shows them`
      : names.length
      ? `known schedules: ${names.join(", ")}`
      : `the environment file (${environment.file}) has no schedules: section`,
  );
}

/** Task ids a schedule may run: deno.json's tasks, which are generated from the registry. */
async function knownTaskIds(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(join(projectRoot, "deno.json"))) as {
    tasks?: Record<string, unknown>;
  };
  return Object.keys(config.tasks ?? {}).filter((id) => id !== "test" && id !== "tui");
}

async function checkTasks(environment: Environment): Promise<void> {
  const known = await knownTaskIds();
  const problems = (environment.schedules ?? []).filter((s) => !known.includes(s.task)).map((s) => {
    const guess = suggest(s.task, known);
    return `schedule ${s.name}: unknown task ${JSON.stringify(s.task)}${
      guess ? ` (did you mean '${guess}'?)` : ""
    }`;
  });
  if (problems.length) {
    throw new UsageError(
      `${environment.file}: ${problems.join("; ")}`,
      "fix the schedules: section (./ops lists the tasks) and install again",
    );
  }
}

function userName(): string {
  if (Deno.uid?.() === 0) return "root";
  return Deno.env.get("USER") ?? Deno.env.get("LOGNAME") ?? "root";
}

const cronDirOption = {
  "cron-dir": {
    type: "string",
    description: "the folder cron reads (another folder for a configuration tool to ship the file)",
    default: "/etc/cron.d",
    placeholder: "DIR",
  },
} as const;

async function cronPaths(environment: Environment, dir: string) {
  const { cronFilePaths } = await import("../lib/schedule/cron_file.ts");
  return cronFilePaths(environment, resolveTyped(dir));
}

function renderInstall(result: CronInstallResult, output: Output): void {
  const what = {
    written: `wrote ${result.file}`,
    unchanged: `${result.file} is already up to date`,
    removed: `removed ${result.file}`,
    absent: `${result.file} was not installed`,
  }[result.change];
  output.line(what);
  for (const s of result.schedules) {
    output.line(`  ${s.name.padEnd(20)} ${s.cron.padEnd(16)} ${s.task}`);
  }
}

function age(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "-";
  const seconds = Math.round((now - Date.parse(iso)) / 1000);
  const abs = Math.abs(seconds);
  const text = abs < 90
    ? `${abs}s`
    : abs < 5400
    ? `${Math.round(abs / 60)}m`
    : abs < 172_800
    ? `${Math.round(abs / 3600)}h`
    : `${Math.round(abs / 86400)}d`;
  return seconds >= 0 ? `${text} ago` : `in ${text}`;
}

function renderList(result: ScheduleList, output: Output): void {
  if (result.schedules.length === 0) {
    output.line(`environment ${result.environment} has no schedules`);
    return;
  }
  output.line(renderTable(
    ["SCHEDULE", "CRON", "TASK", "LAST RUN", "EXIT", "TOOK", "NEXT RUN", "STATE"],
    result.schedules.map((s) => [
      s.name,
      s.cron + (s.timezone ? ` ${s.timezone}` : ""),
      [s.task, ...s.args].join(" "),
      age(s.lastRun?.startedAt),
      s.lastRun ? String(s.lastRun.exitCode) : "-",
      s.lastRun ? `${(s.lastRun.durationMs / 1000).toFixed(1)}s` : "-",
      s.nextRun ? age(s.nextRun) : "-",
      output.style(
        scheduleState(s),
        scheduleState(s) === "ok"
          ? "green"
          : /missed|failed|timeout/.test(scheduleState(s))
          ? "red"
          : "gray",
      ),
    ]),
  ));
}

/** The schedule tasks: install, uninstall, run, list, check; and notify:test. */
export function scheduleTasks(): AnyTask[] {
  const install = defineTask({
    id: "schedule:install",
    summary:
      "Install the environment's schedules into the system's cron (/etc/cron.d/hailmary-<env>); a second run changes nothing",
    action: "schedule-install",
    permissions: "ops",
    options: cronDirOption,
    needs: async ({ options, environment }) => {
      const paths = await cronPaths(environment, options["cron-dir"]);
      return { write: [paths.file, paths.temp] };
    },
    run: async (ctx, { options }): Promise<CronInstallResult> => {
      const environment = ctx.environment;
      await checkTasks(environment);
      const cron = await import("../lib/schedule/cron_file.ts");
      const history = await import("../lib/schedule/run_history.ts");
      const paths = await cronPaths(environment, options["cron-dir"]);
      const enabled = (environment.schedules ?? []).filter((s) => s.enabled);
      let change: CronFileChange;
      if (enabled.length === 0) {
        change = await cron.removeCronFile(paths);
        const { removeCronVariables } = await import("../lib/schedule/cron_variables.ts");
        await removeCronVariables(environment);
        await history.writeInstallRecord(environment.stateDir, environment.name, null);
      } else {
        try {
          await Deno.stat(paths.file.slice(0, paths.file.lastIndexOf("/")));
        } catch {
          throw new FailedError(`${paths.file}: its folder does not exist`, {
            hint: "install Debian's cron first: ./ops setup",
          });
        }
        // cron runs as root: the log folder must exist before the first line runs
        await Deno.mkdir(join(environment.stateDir, "schedules"), { recursive: true });
        const { writeCronVariables } = await import("../lib/schedule/cron_variables.ts");
        const variables = await writeCronVariables(environment);
        for (const name of variables.missing) {
          ctx.output.warn(
            `${name} is not set: scheduled runs will lack it (set it and install again, or use file:PATH)`,
          );
        }
        change = await cron.installCronFile(
          paths,
          cron.renderCronFile(environment, { user: userName(), variables: variables.path }),
        );
        const before = await history.readInstallRecord(environment.stateDir, environment.name);
        const now = new Date().toISOString();
        const record = {
          file: paths.file,
          installedAt: {} as Record<string, string>,
          cron: {} as Record<string, string>,
        };
        for (const s of enabled) {
          const same = before?.file === paths.file && before.cron[s.name] === s.cron;
          record.installedAt[s.name] = same ? before!.installedAt[s.name]! : now;
          record.cron[s.name] = s.cron;
        }
        if (JSON.stringify(record) !== JSON.stringify(before)) {
          await history.writeInstallRecord(environment.stateDir, environment.name, record);
        }
        const { saveDueTimes } = await import("../lib/schedule/due_times.ts");
        for (const s of enabled) {
          const last = await history.lastRun(environment.stateDir, s.name);
          const since = Math.max(
            Date.parse(record.installedAt[s.name]!),
            last ? Date.parse(last.startedAt) : 0,
          );
          await saveDueTimes(environment.stateDir, s, new Date(since));
        }
      }
      const cronRunning = await cron.cronDaemonRunning();
      if (!cronRunning && enabled.length > 0) {
        ctx.output.warn(
          "no cron daemon runs on this machine, so nothing will run: start it with ./ops setup (or: service cron start)",
        );
      }
      return {
        environment: environment.name,
        file: paths.file,
        change,
        schedules: enabled.map((s) => ({ name: s.name, cron: s.cron, task: s.task })),
        cronRunning,
      };
    },
    render: renderInstall,
  });

  const uninstall = defineTask({
    id: "schedule:uninstall",
    summary: "Remove the environment's schedules from the system's cron",
    action: "schedule-uninstall",
    permissions: "ops",
    options: cronDirOption,
    needs: async ({ options, environment }) => {
      const paths = await cronPaths(environment, options["cron-dir"]);
      return { write: [paths.file] };
    },
    run: async (ctx, { options }): Promise<CronInstallResult> => {
      const cron = await import("../lib/schedule/cron_file.ts");
      const history = await import("../lib/schedule/run_history.ts");
      const paths = await cronPaths(ctx.environment, options["cron-dir"]);
      const change = await cron.removeCronFile(paths);
      await history.writeInstallRecord(ctx.environment.stateDir, ctx.environment.name, null);
      const { removeCronVariables } = await import("../lib/schedule/cron_variables.ts");
      await removeCronVariables(ctx.environment);
      return {
        environment: ctx.environment.name,
        file: paths.file,
        change,
        schedules: [],
        cronRunning: await cron.cronDaemonRunning(),
      };
    },
    render: renderInstall,
  });

  const run = defineTask({
    id: "schedule:run",
    summary:
      "Run a schedule now as cron does: its task under its lock and timeout, output logged, a history record, webhooks told",
    action: "schedule-run",
    permissions: "ops",
    args: [{
      name: "name",
      description: "the schedule (schedule:list shows them)",
      required: true,
    }],
    options: {
      "if-due": {
        type: "boolean",
        description:
          "run only when the schedule is due this minute in its time zone (cron lines of other time zones)",
        default: false,
      },
    },
    needs: ({ environment }) => webhookNeeds(environment),
    run: async (ctx, { args, options }): Promise<ScheduledRunResult | { skipped: string }> => {
      const schedule = findSchedule(ctx.environment, args[0]!);
      if (options["if-due"]) {
        const { CronExpression } = await import("../lib/schedule/cron_expression.ts");
        if (!new CronExpression(schedule.cron, schedule.timezone).matchesMinute(new Date())) {
          return { skipped: "not due this minute" };
        }
      }
      const { runSchedule } = await import("../lib/schedule/run_schedule.ts");
      return await runSchedule(ctx.environment, schedule, {
        signal: ctx.signal,
        warn: (text) => ctx.output.warn(text),
      });
    },
    render: (result, output) => {
      if ("skipped" in result) return;
      output.line(
        `${result.schedule}: ${result.task} ${result.outcome} (exit ${result.exitCode}) in ${
          (result.durationMs / 1000).toFixed(1)
        } s; log ${result.log}`,
      );
      for (const n of result.notifications) {
        for (const d of n.deliveries) output.line(`  ${n.event} -> ${d.webhook}: ${d.detail}`);
      }
    },
    exitCode: (result) => "skipped" in result ? 0 : (result.exitCode as 0 | 1 | 2 | 75),
  });

  const list = defineTask({
    id: "schedule:list",
    summary: "List the schedules: last run and its result, next run, missed runs",
    action: "schedule-list",
    permissions: "observe",
    snapshotSuffices: true,
    options: {},
    run: async (ctx): Promise<ScheduleList> => {
      const { scheduleStatuses } = await import("../lib/schedule/schedule_status.ts");
      return {
        environment: ctx.environment.name,
        schedules: await scheduleStatuses(ctx.environment),
      };
    },
    render: renderList,
  });

  const check = defineTask({
    id: "schedule:check",
    summary:
      "Report runs cron did not start (missed) to the webhooks, once per missed run; exit 1 when any is missed",
    action: "schedule-check",
    permissions: "ops",
    options: {},
    needs: ({ environment }) => webhookNeeds(environment),
    run: (ctx) => checkMissed(ctx),
    render: (result, output) => {
      if (result.missed.length === 0) output.line("no missed runs");
      for (const m of result.missed) {
        output.line(
          `missed: ${m.name} (due ${m.dueAt})${m.notified ? "; webhooks told" : ""}`,
        );
      }
    },
    exitCode: (result) => (result.missed.length > 0 ? 1 : 0),
  });

  const notifyTest = defineTask({
    id: "notify:test",
    summary: "Send a test notification to every webhook of the environment",
    action: "notify-test",
    permissions: "ops",
    options: {},
    needs: ({ environment }) => webhookNeeds(environment),
    run: async (ctx): Promise<{ environment: string; deliveries: Delivery[] }> => {
      if ((ctx.environment.notifications?.webhooks ?? []).length === 0) {
        throw new UsageError(
          `environment ${ctx.environment.name} has no webhooks`,
          "add notifications: webhooks: - url: env:NAME to its file",
        );
      }
      const { notificationText, sendNotification } = await import("../lib/notify/webhook.ts");
      const base = {
        event: "test" as const,
        environment: ctx.environment.name,
        host: Deno.hostname(),
        schedule: null,
        task: "notify:test",
        exitCode: null,
        durationMs: null,
        startedAt: new Date().toISOString(),
        dueAt: null,
        output: [],
      };
      const deliveries = await sendNotification(ctx.environment, {
        ...base,
        text: notificationText(base),
      }, { warn: (text) => ctx.output.warn(text) });
      return { environment: ctx.environment.name, deliveries };
    },
    render: (result, output) => {
      for (const d of result.deliveries) output.line(`${d.webhook}: ${d.detail}`);
    },
    exitCode: (result) => (result.deliveries.some((d) => d.delivered) ? 0 : 1),
  });

  return [install, uninstall, run, list, check, notifyTest];
}

async function checkMissed(ctx: TaskContext): Promise<ScheduleCheck> {
  const { scheduleStatuses } = await import("../lib/schedule/schedule_status.ts");
  const history = await import("../lib/schedule/run_history.ts");
  const { notificationText, sendNotification } = await import("../lib/notify/webhook.ts");
  const environment = ctx.environment;
  const missed: ScheduleCheck["missed"] = [];
  for (const status of await scheduleStatuses(environment)) {
    if (!status.missed || !status.missedDue) continue;
    const schedule = findSchedule(environment, status.name);
    const state = await history.readNotifyState(environment.stateDir, status.name);
    let deliveries: Delivery[] = [];
    const tell = schedule.notify.includes("missed") && state.missedDue !== status.missedDue;
    if (tell) {
      const base = {
        event: "missed" as const,
        environment: environment.name,
        host: Deno.hostname(),
        schedule: status.name,
        task: status.task,
        exitCode: null,
        durationMs: null,
        startedAt: status.lastRun?.startedAt ?? null,
        dueAt: status.missedDue,
        output: [],
      };
      deliveries = await sendNotification(environment, { ...base, text: notificationText(base) }, {
        warn: (text) => ctx.output.warn(text),
      });
      await history.writeNotifyState(environment.stateDir, status.name, {
        ...state,
        missedDue: status.missedDue,
      });
    }
    missed.push({ name: status.name, dueAt: status.missedDue, notified: tell, deliveries });
  }
  return { environment: environment.name, missed };
}
