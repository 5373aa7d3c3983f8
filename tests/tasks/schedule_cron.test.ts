/**
 * Schedules with the system's real cron (Debian's cron, started by ./ops
 * setup): an every-minute schedule installed with schedule:install really
 * runs and leaves a history record; a schedule whose cron file cron does not
 * read misses its run, schedule:list says so and schedule:check tells the
 * webhook once. Both wait for a minute boundary, so they run side by side.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { sharedStackEnv } from "../helpers/shared_stack.ts";
import { ops } from "../helpers/test_stack.ts";
import {
  type ScheduleEnv,
  scheduleEnvironment,
  startReceiver,
  type WebhookReceiver,
} from "../helpers/schedule_env.ts";

// unique per run: /etc/cron.d is shared by every suite on the machine
const real = `cronreal-${Deno.pid}`;
const missed = `cronmissed-${Deno.pid}`;
let cronEnv: ScheduleEnv;
let missedEnv: ScheduleEnv;
let receiver: WebhookReceiver;
let cronReceiver: WebhookReceiver;
let elsewhere: string;

async function cronRuns(): Promise<boolean> {
  const { stdout } = await new Deno.Command("ps", { args: ["-e", "-o", "comm="], stdout: "piped" })
    .output();
  return new TextDecoder().decode(stdout).split("\n").some((l) => l.trim() === "cron");
}

beforeAll(async () => {
  receiver = startReceiver();
  cronReceiver = startReceiver();
  elsewhere = await Deno.makeTempDir({ prefix: "hailmary-cron-elsewhere-" });
  cronEnv = await scheduleEnvironment(sharedStackEnv(), real, {
    // the webhook's URL is in a variable of the installing shell, which cron does not have
    notifications: { webhooks: [{ url: "env:HAILMARY_CRON_HOOK" }] },
    schedules: [
      { name: "cr-every-minute", cron: "* * * * *", task: "health", timeout: 50 },
      {
        name: "cr-fails",
        cron: "* * * * *",
        task: "postgres:psql",
        args: ["-c", "select 1/0"],
        timeout: 50,
        notify: ["failure"],
      },
    ],
  });
  missedEnv = await scheduleEnvironment(sharedStackEnv(), missed, {
    notifications: { webhooks: [{ url: "env:HAILMARY_TEST_HOOK" }] },
    schedules: [{ name: "cm-every-minute", cron: "* * * * *", task: "health", grace: 0 }],
  });
});

afterAll(async () => {
  await ops(cronEnv.file, ["schedule:uninstall"]);
  await receiver.close();
  await cronReceiver.close();
  await cronEnv.remove();
  await missedEnv.remove();
  await Deno.remove(elsewhere, { recursive: true }).catch(() => {});
});

describe("schedules under the system's cron", () => {
  it.concurrent(
    "cron runs an installed every-minute schedule (a history record), and a failing one reaches the webhook",
    async () => {
      expect(await cronRuns(), "no cron daemon runs: ./ops setup starts it").toBe(true);
      const history = join(cronEnv.stateDir, "schedules", "cr-every-minute", "history.ndjson");
      await Deno.remove(history).catch(() => {});
      const installed = await ops(cronEnv.file, ["schedule:install", "--json"], {
        env: { HAILMARY_CRON_HOOK: cronReceiver.url },
      });
      expect(installed.code).toBe(0);
      // the cron file (world-readable) names the variables file, never the value
      const cronText = await Deno.readTextFile(`/etc/cron.d/hailmary-${real}`);
      expect(cronText).not.toContain(cronReceiver.token);
      const variables = join(cronEnv.stateDir, "secrets", `cron-${real}.env`);
      expect(cronText).toContain(`set -a; . ${variables}; set +a;`);
      expect((await Deno.stat(variables)).mode! & 0o777).toBe(0o600);
      expect(JSON.parse(installed.stdout)).toMatchObject({
        file: `/etc/cron.d/hailmary-${real}`,
        cronRunning: true,
      });
      const deadline = Date.now() + 130_000;
      let text = "";
      while (Date.now() < deadline) {
        text = await Deno.readTextFile(history).catch(() => "");
        if (text.trim() !== "") break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      expect(text.trim(), "cron did not run the schedule within two minutes").not.toBe("");
      const record = JSON.parse(text.trim().split("\n")[0]!);
      expect(record).toMatchObject({
        schedule: "cr-every-minute",
        task: "health",
        exitCode: 0,
        outcome: "ok",
      });
      // cron starts jobs at the top of a minute
      expect(new Date(record.startedAt).getUTCSeconds()).toBeLessThan(20);
      expect(record.result.healthy).toBe(true);
      // the failing schedule, run by cron at the same minute, told the webhook
      const [told] = await cronReceiver.waitFor(1, 60_000);
      expect(told!.body).toMatchObject({
        event: "failure",
        environment: real,
        schedule: "cr-fails",
        task: "postgres:psql",
        exitCode: 1,
      });
      expect((told!.body.output as string[]).join("\n")).toContain("division by zero");
      const list = JSON.parse((await ops(cronEnv.file, ["schedule:list", "--json"])).stdout);
      expect(list.schedules[0]).toMatchObject({
        name: "cr-every-minute",
        installed: true,
        missed: false,
        lastRun: { exitCode: 0, startedAt: record.startedAt },
      });
    },
    150_000,
  );

  it.concurrent(
    "a due run cron did not start is missed: schedule:list says so, schedule:check tells the webhook once",
    async () => {
      const env = { HAILMARY_TEST_HOOK: receiver.url };
      // a folder cron does not read: the line is installed, and nothing runs it
      const installed = await ops(missedEnv.file, ["schedule:install", "--cron-dir", elsewhere], {
        env,
      });
      expect(installed.code).toBe(0);
      const before = JSON.parse((await ops(missedEnv.file, ["schedule:list", "--json"])).stdout);
      expect(before.schedules[0]).toMatchObject({ installed: true, missed: false, lastRun: null });
      const due = before.schedules[0].nextRun as string;
      await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(due) - Date.now()) + 1500));

      const list = await ops(missedEnv.file, ["schedule:list", "--json"]);
      expect(list.code).toBe(0);
      expect(JSON.parse(list.stdout).schedules[0]).toMatchObject({
        name: "cm-every-minute",
        missed: true,
        missedDue: due,
        lastRun: null,
      });
      const plain = await ops(missedEnv.file, ["schedule:list"]);
      expect(plain.stdout).toMatch(/cm-every-minute .* missed/);

      const check = await ops(missedEnv.file, ["schedule:check", "--json"], { env });
      expect(check.code).toBe(1);
      const [told] = await receiver.waitFor(1);
      expect(told!.body).toMatchObject({
        event: "missed",
        environment: missed,
        schedule: "cm-every-minute",
        task: "health",
        dueAt: due,
      });
      expect(told!.raw).not.toContain(receiver.token);
      // the same missed run is told once
      const again = await ops(missedEnv.file, ["schedule:check", "--json"], { env });
      expect(JSON.parse(again.stdout).missed[0]).toMatchObject({ notified: false });
      expect(receiver.received.length).toBe(1);

      const metrics = await ops(missedEnv.file, ["metrics"]);
      expect(metrics.stdout).toContain(
        `hailmary_schedule_missed{environment="${missed}",schedule="cm-every-minute",task="health"} 1`,
      );
    },
    150_000,
  );
});
