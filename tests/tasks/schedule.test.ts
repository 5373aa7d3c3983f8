/**
 * schedule:run, notify:test and schedule:install against the shared stack,
 * through ./ops as cron runs them: a failing task posts to a webhook
 * receiver on a loopback port, the next success posts a recovery, a receiver
 * that is down changes nothing, a timeout stops the task and all it started,
 * and installing twice gives one identical cron file.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { sharedStackEnv } from "../helpers/shared_stack.ts";
import { freePort, ops, processesMentioning } from "../helpers/test_stack.ts";
import {
  type ScheduleEnv,
  scheduleEnvironment,
  startReceiver,
  type WebhookReceiver,
} from "../helpers/schedule_env.ts";

// unique per run: /etc/cron.d is shared by every suite on the machine
const name = `schedtest-${Deno.pid}`;
let env: ScheduleEnv;
let receiver: WebhookReceiver;
let sqlFile: string;
const deadPort = freePort();
const hookEnv = () => ({
  HAILMARY_TEST_HOOK: receiver.url,
  HAILMARY_DEAD_HOOK: `http://127.0.0.1:${deadPort}/hooks/dead-secret-token`,
});

beforeAll(async () => {
  receiver = startReceiver();
  const dir = await Deno.makeTempDir({ prefix: "hailmary-schedule-sql-" });
  await Deno.chmod(dir, 0o755);
  sqlFile = join(dir, "check.sql");
  env = await scheduleEnvironment(sharedStackEnv(), name, {
    notifications: { webhooks: [{ url: "env:HAILMARY_TEST_HOOK" }] },
    schedules: [
      {
        name: "st-psql",
        cron: "30 2 * * *",
        task: "postgres:psql",
        args: ["-v", "ON_ERROR_STOP=1", "-f", sqlFile],
        timeout: 60,
      },
      {
        name: "st-slow",
        cron: "30 3 * * *",
        task: "postgres:psql",
        args: ["-c", "select pg_sleep(120) as st_slow_marker"],
        timeout: 3,
        notify: ["recovery"],
      },
    ],
  });
});

afterAll(async () => {
  await receiver.close();
  await env.remove();
  await Deno.remove(join(sqlFile, ".."), { recursive: true }).catch(() => {});
});

describe("schedule:run", () => {
  it("a failing run posts a failure with the run's facts and no secret; the next success posts a recovery", async () => {
    await Deno.writeTextFile(sqlFile, "select 1/0;\n");
    const failed = await ops(env.file, ["schedule:run", "st-psql"], { env: hookEnv() });
    expect(failed.code).toBe(1);
    const [first] = await receiver.waitFor(1);
    expect(first!.path).toBe(`/hooks/${receiver.token}`);
    expect(first!.body).toMatchObject({
      event: "failure",
      environment: name,
      schedule: "st-psql",
      task: "postgres:psql",
      host: Deno.hostname(),
      exitCode: 1,
    });
    expect(first!.body.durationMs).toBeGreaterThan(0);
    expect((first!.body.output as string[]).join("\n")).toContain("division by zero");
    expect(first!.body.text).toMatch(/schedule st-psql \(postgres:psql\) FAILED with exit code 1/);
    // the webhook URL's token is a secret: not in the payload, the output, the history or the log
    expect(first!.raw).not.toContain(receiver.token);
    expect(failed.stdout + failed.stderr).not.toContain(receiver.token);
    const historyFile = join(env.stateDir, "schedules", "st-psql", "history.ndjson");
    const history = (await Deno.readTextFile(historyFile)).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    const record = history.at(-1);
    expect(record).toMatchObject({
      schedule: "st-psql",
      task: "postgres:psql",
      exitCode: 1,
      outcome: "failed",
    });
    expect(Date.parse(record.endedAt) - Date.parse(record.startedAt)).toBe(record.durationMs);
    const log = await Deno.readTextFile(record.log);
    expect(log).toContain("division by zero");
    expect(log + JSON.stringify(history)).not.toContain(receiver.token);

    // a second failure of an each-failure schedule notifies again
    const again = await ops(env.file, ["schedule:run", "st-psql"], { env: hookEnv() });
    expect(again.code).toBe(1);
    await receiver.waitFor(2);

    await Deno.writeTextFile(sqlFile, "select 1;\n");
    const ok = await ops(env.file, ["schedule:run", "st-psql", "--json"], { env: hookEnv() });
    expect(ok.code).toBe(0);
    const [, , recovery] = await receiver.waitFor(3);
    expect(recovery!.body).toMatchObject({
      event: "recovery",
      schedule: "st-psql",
      exitCode: 0,
    });
    expect(recovery!.body.text).toContain("recovered");
    const result = JSON.parse(ok.stdout);
    expect(result).toMatchObject({ schedule: "st-psql", exitCode: 0, outcome: "ok" });
    expect(result.notifications[0].deliveries[0]).toMatchObject({ delivered: true, status: 204 });

    // success after success: nobody is told
    expect((await ops(env.file, ["schedule:run", "st-psql"], { env: hookEnv() })).code).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.received.length).toBe(3);

    const list = await ops(env.file, ["schedule:list", "--json"]);
    expect(list.code).toBe(0);
    const psql = JSON.parse(list.stdout).schedules.find((s: { name: string }) =>
      s.name === "st-psql"
    );
    expect(psql).toMatchObject({
      name: "st-psql",
      cron: "30 2 * * *",
      task: "postgres:psql",
      lastRun: { exitCode: 0 },
      missed: false,
    });
    expect(Date.parse(psql.nextRun)).toBeGreaterThan(Date.now());
  });

  it("a receiver that is down changes neither the exit code nor the run's end; a timeout stops the task", async () => {
    const down = await scheduleEnvironment(sharedStackEnv(), `${name}-down`, {
      notifications: {
        webhooks: [{ url: "env:HAILMARY_DEAD_HOOK", timeout: 2 }, {
          url: "env:HAILMARY_UNSET_HOOK",
        }],
      },
      schedules: [{
        name: "st-down",
        cron: "30 2 * * *",
        task: "postgres:psql",
        args: ["-c", "select pg_sleep(120) as st_down_marker"],
        timeout: 3,
      }],
    });
    try {
      const began = Date.now();
      const run = await ops(down.file, ["schedule:run", "st-down", "--json"], { env: hookEnv() });
      const took = Date.now() - began;
      expect(run.code).toBe(1);
      // 3 s timeout, then 3 attempts at a closed port with 1 + 2 s between them
      expect(took).toBeLessThan(20_000);
      const result = JSON.parse(run.stdout);
      expect(result).toMatchObject({ outcome: "timeout", exitCode: 1 });
      expect(result.durationMs).toBeGreaterThanOrEqual(3000);
      expect(result.durationMs).toBeLessThan(15_000);
      const [dead, unset] = result.notifications[0].deliveries;
      expect(dead).toMatchObject({ delivered: false, attempts: 3, detail: "could not connect" });
      expect(unset).toMatchObject({ delivered: false, attempts: 0 });
      expect(unset.detail).toContain("HAILMARY_UNSET_HOOK");
      expect(run.stderr).toContain("skipped");
      expect(run.stdout + run.stderr).not.toContain("dead-secret-token");
      // the timeout stopped the whole run: ./ops, psql and the query
      expect(await processesMentioning("st_down_marker")).toEqual([]);
    } finally {
      await down.remove();
    }
  });

  it("a second run while one is going on exits 75 and does not overlap", async () => {
    const slow = ops(env.file, ["schedule:run", "st-slow"], { env: hookEnv() });
    const lock = join(env.stateDir, "schedules", "st-slow", "lock");
    for (let i = 0; i < 50; i++) {
      if (await Deno.stat(lock).then(() => true, () => false)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const second = await ops(env.file, ["schedule:run", "st-slow"], { env: hookEnv() });
    expect(second.code).toBe(75);
    expect(second.stderr).toContain("already running");
    expect((await slow).code).toBe(1);
  });

  it("refuses an unknown schedule with exit 2 and names the closest", async () => {
    const run = await ops(env.file, ["schedule:run", "st-psq"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("did you mean 'st-psql'?");
  });
});

describe("notify:test", () => {
  it("posts a test notification to every webhook", async () => {
    const before = receiver.received.length;
    const run = await ops(env.file, ["notify:test"], { env: hookEnv() });
    expect(run.code).toBe(0);
    const received = await receiver.waitFor(before + 1);
    expect(received.at(-1)!.body).toMatchObject({ event: "test", environment: name });
    expect(run.stdout).toContain("delivered");
    expect(run.stdout).not.toContain(receiver.token);
  });
});

describe("schedule:install", () => {
  it("writes /etc/cron.d/hailmary-<env> once: a second install changes nothing; uninstall removes it", async () => {
    const file = `/etc/cron.d/hailmary-${name}`;
    const first = await ops(env.file, ["schedule:install", "--json"]);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ file, change: "written" });
    const text = await Deno.readTextFile(file);
    const info = await Deno.stat(file);
    expect(info.mode! & 0o777).toBe(0o644);
    expect(text.endsWith("\n")).toBe(true);
    expect(text).toContain(
      `30 2 * * * root ${join(Deno.cwd(), "ops")} schedule:run st-psql --env ${env.file}`,
    );
    const second = await ops(env.file, ["schedule:install", "--json"]);
    expect(JSON.parse(second.stdout)).toMatchObject({ file, change: "unchanged" });
    expect(await Deno.readTextFile(file)).toBe(text);
    expect((await Deno.stat(file)).mtime).toEqual(info.mtime);
    const list = JSON.parse((await ops(env.file, ["schedule:list", "--json"])).stdout);
    expect(list.schedules.every((s: { installed: boolean }) => s.installed)).toBe(true);

    const removed = await ops(env.file, ["schedule:uninstall", "--json"]);
    expect(JSON.parse(removed.stdout)).toMatchObject({ file, change: "removed" });
    expect(await Deno.stat(file).then(() => true, () => false)).toBe(false);
  });
});
