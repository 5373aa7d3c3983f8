/**
 * The schedules: and notifications: sections of an environment file: what
 * the schema refuses (with file and line), and how last, next and missed
 * runs are worked out from real history files.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { stringify } from "yaml";
import { loadEnvironment } from "../../../lib/config/mod.ts";
import {
  appendRun,
  lastSuccessfulRun,
  readRuns,
  writeInstallRecord,
} from "../../../lib/schedule/run_history.ts";
import { scheduleStatuses } from "../../../lib/schedule/schedule_status.ts";
import { renderCronFile } from "../../../lib/schedule/cron_file.ts";
import { sameAsHostTime } from "../../../lib/schedule/cron_expression.ts";

let dir: string;

beforeAll(async () => {
  dir = await Deno.makeTempDir({ prefix: "hailmary-schedule-config-" });
});
afterAll(async () => {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
});

async function writeEnv(name: string, extra: Record<string, unknown>): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  await Deno.writeTextFile(
    file,
    stringify({
      name,
      runtime: "native",
      stateDir: join(dir, name, "state"),
      backupDir: join(dir, name, "backups"),
      services: { redis: { port: 16399, password: "generated:redis-password" } },
      ...extra,
    }),
  );
  return file;
}

async function loadError(file: string): Promise<string> {
  try {
    await loadEnvironment(file);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("the environment loaded");
}

describe("schedules in the environment file", () => {
  it("refuses a cron expression that is not five fields, naming file, line and field", async () => {
    const file = await writeEnv("badcron", {
      schedules: [
        { name: "ok", cron: "30 2 * * *", task: "backup" },
        { name: "six", cron: "0 30 2 * * *", task: "backup" },
        { name: "range", cron: "61 * * * *", task: "backup" },
        { name: "last", cron: "0 0 L * *", task: "backup" },
      ],
    });
    const message = await loadError(file);
    expect(message).toMatch(/badcron\.yaml:\d+: schedules\.1\.cron: expected five fields/);
    expect(message).toMatch(/schedules\.2\.cron: .*minute/);
    expect(message).toMatch(/schedules\.3\.cron: .*not understood by cron/);
    expect(message).not.toContain("schedules.0");
  });

  it("refuses an unknown time zone, a duplicate name, --env in args and an inline webhook URL", async () => {
    const file = await writeEnv("badmisc", {
      notifications: { webhooks: [{ url: "https://hooks.example.com/T000/B000/XXXX" }] },
      schedules: [
        { name: "a", cron: "* * * * *", task: "health", timezone: "Mars/Olympus" },
        { name: "a", cron: "* * * * *", task: "health", args: ["--env", "production"] },
      ],
    });
    const message = await loadError(file);
    expect(message).toContain("schedules.0.timezone: unknown time zone");
    expect(message).toContain('schedule \\"a\\" is defined twice'.replace(/\\/g, ""));
    expect(message).toContain("schedules.1.args: --env and --json are set by schedule:run");
    expect(message).toContain("notifications.webhooks.0.url: a webhook URL carries a token");
    // the refused URL itself is not repeated in the message
    expect(message).not.toContain("hooks.example.com");
  });

  it("fills in the defaults: timeout 3600, notify on everything, enabled, grace 300", async () => {
    const file = await writeEnv("defaults", {
      schedules: [{ name: "nightly", cron: "30 2 * * *", task: "backup", args: ["--yes"] }],
    });
    const environment = await loadEnvironment(file);
    expect(environment.schedules).toEqual([{
      name: "nightly",
      cron: "30 2 * * *",
      task: "backup",
      args: ["--yes"],
      timeout: 3600,
      notify: ["failure", "recovery", "missed"],
      grace: 300,
      enabled: true,
    }]);
    expect(environment.notifications).toEqual({ webhooks: [] });
  });
});

describe("last, next and missed runs", () => {
  it("a due time that passed without a run after the installation is missed; a run after it is not", async () => {
    const file = await writeEnv("missed", {
      schedules: [
        { name: "hourly", cron: "0 * * * *", task: "health", grace: 60 },
        { name: "off", cron: "0 * * * *", task: "health", enabled: false },
        { name: "fresh", cron: "0 * * * *", task: "health" },
      ],
    });
    const environment = await loadEnvironment(file);
    const stateDir = environment.stateDir;
    await writeInstallRecord(stateDir, "missed", {
      file: "/etc/cron.d/hailmary-missed",
      installedAt: {
        hourly: "2026-11-29T09:30:00.000Z",
        off: "2026-11-29T09:30:00.000Z",
        fresh: "2026-11-29T10:30:00.000Z",
      },
      cron: { hourly: "0 * * * *", off: "0 * * * *", fresh: "0 * * * *" },
    });
    // 10:00 was due; at 10:00:30 the grace has not passed, at 10:02 it has
    let [hourly, off, fresh] = await scheduleStatuses(
      environment,
      new Date("2026-11-29T10:00:30Z"),
    );
    expect(hourly?.missed).toBe(false);
    [hourly, off, fresh] = await scheduleStatuses(environment, new Date("2026-11-29T10:45:00Z"));
    expect(hourly).toMatchObject({
      missed: true,
      missedDue: "2026-11-29T10:00:00.000Z",
      nextRun: "2026-11-29T11:00:00.000Z",
      lastRun: null,
      installed: true,
    });
    expect(off).toMatchObject({ missed: false, installed: false, nextRun: null });
    expect(fresh).toMatchObject({ missed: false, installed: true });

    await appendRun(stateDir, {
      schedule: "hourly",
      task: "health",
      args: [],
      host: "h",
      startedAt: "2026-11-29T10:00:01.000Z",
      endedAt: "2026-11-29T10:00:02.000Z",
      durationMs: 1000,
      exitCode: 1,
      outcome: "failed",
      log: "/dev/null",
      result: null,
    });
    [hourly] = await scheduleStatuses(environment, new Date("2026-11-29T10:45:00Z"));
    expect(hourly).toMatchObject({
      missed: false,
      lastRun: { startedAt: "2026-11-29T10:00:01.000Z", exitCode: 1, outcome: "failed" },
    });
    [hourly] = await scheduleStatuses(environment, new Date("2026-11-29T11:01:30Z"));
    expect(hourly?.missed).toBe(true);
    expect(hourly?.missedDue).toBe("2026-11-29T11:00:00.000Z");
  });

  it("reads the newest runs and the last success from the end of the history", async () => {
    const stateDir = join(dir, "history-state");
    const run = (startedAt: string, exitCode: number) => ({
      schedule: "h",
      task: "health",
      args: [],
      host: "h",
      startedAt,
      endedAt: startedAt,
      durationMs: 0,
      exitCode,
      outcome: exitCode === 0 ? "ok" as const : "failed" as const,
      log: "/dev/null",
      // a result that looks like a success must not be taken for the run's own exit code
      result: { exitCode: 0, note: '"exitCode":0,' },
    });
    expect(await lastSuccessfulRun(stateDir, "h")).toBeNull();
    await appendRun(stateDir, run("2026-11-29T01:00:00.000Z", 0));
    await appendRun(stateDir, run("2026-11-29T02:00:00.000Z", 1));
    await appendRun(stateDir, run("2026-11-29T03:00:00.000Z", 1));
    expect((await lastSuccessfulRun(stateDir, "h"))?.startedAt).toBe("2026-11-29T01:00:00.000Z");
    expect((await readRuns(stateDir, "h", 2)).map((r) => r.startedAt)).toEqual([
      "2026-11-29T02:00:00.000Z",
      "2026-11-29T03:00:00.000Z",
    ]);
  });

  it("finds the last run and last success in a long history with a torn last line", async () => {
    const stateDir = join(dir, "long-history-state");
    const path = join(stateDir, "schedules", "h", "history.ndjson");
    await Deno.mkdir(join(stateDir, "schedules", "h"), { recursive: true });
    const line = (i: number, exitCode: number) =>
      JSON.stringify({
        schedule: "h",
        task: "health",
        args: [],
        host: "h",
        startedAt: new Date(Date.UTC(2026, 10, 1) + i * 300_000).toISOString(),
        endedAt: new Date(Date.UTC(2026, 10, 1) + i * 300_000).toISOString(),
        durationMs: 1,
        exitCode,
        outcome: exitCode === 0 ? "ok" : "failed",
        log: "/dev/null",
        result: { padding: "x".repeat(1500) },
      });
    // one success, then 900 failures (more than the end read first), then a record cut short
    const lines = [line(0, 0), ...Array.from({ length: 900 }, (_, i) => line(i + 1, 1))];
    await Deno.writeTextFile(path, lines.join("\n") + "\n" + line(901, 0).slice(0, 80));
    const last = await readRuns(stateDir, "h", 1);
    expect(last.map((r) => r.startedAt)).toEqual([
      new Date(Date.UTC(2026, 10, 1) + 900 * 300_000).toISOString(),
    ]);
    expect((await lastSuccessfulRun(stateDir, "h"))?.startedAt).toBe(
      new Date(Date.UTC(2026, 10, 1)).toISOString(),
    );
    expect(await readRuns(stateDir, "h")).toHaveLength(901);
  });

  it("writes a cron file cron accepts: absolute ./ops, % escaped, other time zones checked each minute", async () => {
    const file = await writeEnv("cronfile", {
      schedules: [
        { name: "nightly", cron: "30 2 * * *", task: "backup", args: ["--label", "50%"] },
        { name: "tokyo", cron: "0 9 * * 1-5", task: "health", timezone: "Asia/Tokyo" },
        { name: "off", cron: "0 9 * * *", task: "health", enabled: false },
      ],
    });
    const environment = await loadEnvironment(file);
    const text = renderCronFile(environment, { user: "root", ops: "/srv/hail mary/ops" });
    expect(text.endsWith("\n")).toBe(true);
    expect(text).toContain(
      `30 2 * * * root '/srv/hail mary/ops' schedule:run nightly --env ${file} >>`,
    );
    const host = Intl.DateTimeFormat().resolvedOptions().timeZone;
    expect(sameAsHostTime(host)).toBe(true);
    expect(sameAsHostTime(host === "Asia/Tokyo" ? "Europe/Berlin" : "Asia/Tokyo")).toBe(false);
    expect(text).toMatch(/\n\* \* \* \* \* root .* schedule:run tokyo .* --if-due >>/);
    expect(text).not.toContain("schedule:run off");
    expect(text).toContain("*/5 * * * * root '/srv/hail mary/ops' schedule:check");
    const commands = text.split("\n").filter((l) => !l.startsWith("#"));
    expect(commands.join("\n")).not.toMatch(/[^\\]%/);
    // a % in a path would end cron's command: escaped
    const odd = renderCronFile(environment, { user: "root", ops: "/srv/100%/ops" });
    expect(odd).toContain("* * * * * root '/srv/100\\%/ops' schedule:run tokyo");
  });
});
