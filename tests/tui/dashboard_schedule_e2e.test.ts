/**
 * A schedule run from the dashboard, in a real terminal: it runs through the
 * same code as `schedule:run` and its failure notification reaches a webhook
 * on a host outside the permission set's loopback hosts (the dashboard is
 * granted the webhooks' hosts as schedule:run is).
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestEnvironment, root, type TestEnvironment } from "../helpers/test_stack.ts";
import {
  type ScheduleEnv,
  scheduleEnvironment,
  startReceiver,
  type WebhookReceiver,
} from "../helpers/schedule_env.ts";
import { tmuxSession } from "./helpers/tmux_session.ts";

const terminal = tmuxSession("hailmary-tui-schedule");
let base: TestEnvironment;
let env: ScheduleEnv;
let receiver: WebhookReceiver;

beforeAll(async () => {
  // nothing is started: the scheduled health check fails, and its failure is notified
  base = await createTestEnvironment({ name: "tuisched", services: ["redis"] });
  receiver = startReceiver("127.0.0.2");
  env = await scheduleEnvironment(base.file, "tuisched", {
    notifications: { webhooks: [{ url: "env:HAILMARY_TUI_HOOK" }] },
    schedules: [{
      name: "ts-health",
      cron: "30 2 * * *",
      task: "health",
      timeout: 60,
      notify: ["failure"],
    }],
  });
  await terminal.start();
});

afterAll(async () => {
  await terminal.kill();
  await receiver?.close();
  await env?.remove();
  await base?.remove();
});

describe("a schedule run from the dashboard", () => {
  it("runs through schedule:run, records the run and notifies a webhook host outside the loopback set", async () => {
    await terminal.keys(
      `cd ${root} && env -u CI HAILMARY_TUI_HOOK='${receiver.url}' ./ops tui --env ${env.file}`,
      "Enter",
    );
    await terminal.waitFor(
      "the dashboard",
      (t) => t.includes("HailMary Ops  env tuisched"),
      120_000,
    );
    await terminal.keys("4");
    await terminal.waitFor("the schedules view", (t) => t.includes("ts-health"));
    // the actions load after the first frame: a key pressed before they are ready does nothing,
    // so the key is pressed again until the run shows (a second run would add a line, not a post)
    for (let attempt = 0; attempt < 30; attempt++) {
      await terminal.keys("Enter");
      const shown = await terminal.waitFor("the run", (t) => t.includes("schedule:run"), 2_000)
        .then(() => true, () => false);
      if (shown) break;
    }

    const [post] = await receiver.waitFor(1, 60_000);
    expect(post!.body).toMatchObject({
      event: "failure",
      schedule: "ts-health",
      task: "health",
      environment: "tuisched",
    });
    expect(post!.raw).not.toContain(receiver.token);
    const text = await terminal.waitFor(
      "the run's result",
      (t) => /schedule:run exited 1/.test(t),
      60_000,
    );
    expect(text).not.toContain(receiver.token);
    const history = await Deno.readTextFile(
      join(env.stateDir, "schedules", "ts-health", "history.ndjson"),
    );
    const codes = history.trim().split("\n").map((l) => JSON.parse(l).exitCode);
    expect(codes.length).toBeGreaterThanOrEqual(1);
    expect(codes.every((code) => code === 1)).toBe(true);

    await terminal.keys("q");
    await terminal.waitFor("the shell prompt again", (t) => t.trimEnd().endsWith("e2e$"));
  });
});
