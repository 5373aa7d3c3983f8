/**
 * The dashboard's schedules view: last and next run, result and age of every
 * schedule, missed and failed ones named, and one key that runs the selected
 * schedule through the same task as cron (`schedule:run NAME`).
 */
import { afterEach, describe, expect, it } from "vitest";
import { StaticStackModel } from "../../lib/stack/mod.ts";
import type { ScheduleStatus } from "../../lib/schedule/schedule_state.ts";
import { Dashboard } from "../../tui/Dashboard.tsx";
import { renderSized, type SizedRender } from "./helpers/render_sized.ts";
import { keys, service, settle, stack, task, until } from "./helpers/stack_fixtures.ts";

let rendered: SizedRender | undefined;
afterEach(() => {
  rendered?.unmount();
  rendered = undefined;
});

const now = Date.parse("2026-11-29T03:00:00Z");

function schedule(name: string, overrides: Partial<ScheduleStatus> = {}): ScheduleStatus {
  return {
    name,
    cron: "30 2 * * *",
    timezone: null,
    task: "backup",
    args: ["--yes"],
    enabled: true,
    installed: true,
    lastRun: {
      startedAt: "2026-11-29T02:30:00.000Z",
      exitCode: 0,
      durationMs: 12_300,
      outcome: "ok",
    },
    nextRun: "2026-11-30T02:30:00.000Z",
    missed: false,
    missedDue: null,
    runningPid: null,
    ...overrides,
  };
}

const schedules = [
  schedule("nightly-backup"),
  schedule("retention-sets", {
    cron: "0 4 * * *",
    task: "prune-sets",
    lastRun: {
      startedAt: "2026-11-28T04:00:00.000Z",
      exitCode: 1,
      durationMs: 800,
      outcome: "failed",
    },
    nextRun: "2026-11-29T04:00:00.000Z",
  }),
  schedule("health-check", {
    cron: "*/5 * * * *",
    task: "health",
    args: [],
    lastRun: null,
    missed: true,
    missedDue: "2026-11-29T02:55:00.000Z",
    nextRun: "2026-11-29T03:05:00.000Z",
  }),
];

function open(model: StaticStackModel): SizedRender {
  rendered = renderSized(<Dashboard model={model} now={() => now} />, { columns: 130, rows: 30 });
  return rendered;
}

async function press(r: SizedRender, ...inputs: string[]) {
  for (const input of inputs) {
    r.stdin.write(input);
    await settle();
  }
}

describe("schedules view", () => {
  it("shows every schedule's last run, result, age, next run and state; missed and failed are named", async () => {
    const model = new StaticStackModel({
      snapshot: stack([service("postgres")], { schedules }),
      tasks: [task("schedule:run", {
        service: null,
        action: "schedule-run",
        args: [{ name: "name", description: "", required: true }],
      })],
    });
    const r = open(model);
    await until(() => r.lastFrame().includes("postgres"), () => r.lastFrame());
    await press(r, "4");
    const frame = r.lastFrame();
    expect(frame).toContain("4 schedules");
    expect(frame).toMatch(
      /nightly-backup\s+30 2 \* \* \*\s+backup --yes\s+30m00s ago\s+0\s+12\.3s\s+in 23h30m\s+ok/,
    );
    expect(frame).toMatch(
      /retention-sets\s+0 4 \* \* \*\s+prune-sets --yes\s+23h00m ago\s+1\s+0\.8s\s+in 1h00m\s+failed/,
    );
    expect(frame).toMatch(
      /health-check\s+\*\/5 \* \* \* \*\s+health\s+-\s+-\s+-\s+in 5m00s\s+missed/,
    );
    expect(frame).toContain("enter runs it now");
  });

  it("enter runs the selected schedule through schedule:run", async () => {
    const model = new StaticStackModel({
      snapshot: stack([service("postgres")], { schedules }),
      tasks: [task("schedule:run", {
        service: null,
        action: "schedule-run",
        args: [{ name: "name", description: "", required: true }],
      })],
    });
    const r = open(model);
    await until(() => r.lastFrame().includes("postgres"), () => r.lastFrame());
    await press(r, "4", "j", "j", keys.up, keys.enter);
    await until(() => model.requests.length === 1, () => r.lastFrame());
    expect(model.requests[0]).toMatchObject({ taskId: "schedule:run", args: ["retention-sets"] });
    await until(() => r.lastFrame().includes("schedule:run: done"), () => r.lastFrame());
  });

  it("says so when the environment has no schedules, and hides the run key when read-only", async () => {
    const model = new StaticStackModel({
      snapshot: stack([service("postgres")], { schedules: [] }),
    });
    rendered = renderSized(<Dashboard model={model} readOnly now={() => now} />, {
      columns: 130,
      rows: 30,
    });
    const r = rendered;
    await until(() => r.lastFrame().includes("postgres"), () => r.lastFrame());
    await press(r, "4");
    expect(r.lastFrame()).toContain("no schedules: add a schedules: section");
    await press(r, keys.enter);
    expect(model.requests).toEqual([]);
  });
});
