import type { ReactElement } from "react";
import { renderSized } from "../helpers/render_sized.ts";
import { describe, expect, it } from "vitest";
import { ServiceTable } from "../../../tui/components/ServiceTable.tsx";
import { sortServices } from "../../../tui/sort_services.ts";
import { service } from "../helpers/stack_fixtures.ts";

const now = Date.parse("2026-01-01T00:10:00Z");

/** Renders in a 160-column terminal and returns the frame. */
function render(tree: ReactElement) {
  const r = renderSized(tree, { columns: 160, rows: 40 });
  const frame = r.lastFrame();
  r.unmount();
  return { lastFrame: () => frame };
}

function rowOf(frame: string, name: string): string {
  const row = frame.split("\n").find((line) => line.includes(` ${name} `));
  if (!row) throw new Error(`no row for ${name} in:\n${frame}`);
  return row;
}

describe("ServiceTable", () => {
  it("shows each lifecycle state with its own mark, state, health and figures", () => {
    const services = [
      service("healthy-one", { lastBackupAt: "2026-01-01T00:05:00Z", restarts: 2 }),
      service("sick", { healthy: false, detail: "authentication failed" }),
      service("booting", { state: "starting", healthy: false, detail: "loading" }),
      service("down", { state: "stopped" }),
      service("dead", { state: "crashed", detail: "process 42 is gone but was not stopped" }),
    ];
    const { lastFrame } = render(
      <ServiceTable
        services={services}
        selected="sick"
        running={[]}
        width={160}
        height={10}
        now={now}
      />,
    );
    const frame = lastFrame() ?? "";
    expect(frame).toMatch(
      /SERVICE\s+STATE\s+HEALTH\s+LATENCY\s+UPTIME\s+PID\s+PORT\s+RST\s+CPU\s+MEM\s+BACKUP\s+DETAIL/,
    );
    expect(rowOf(frame, "healthy-one")).toMatch(
      /● healthy-one\s+running\s+healthy\s+1\.5ms\s+2m05s\s+4011\s+6011\s+2\s+1\.2%\s+20M\s+5m00s/,
    );
    expect(rowOf(frame, "sick")).toMatch(/^› ▲ sick\s+running\s+unhealthy .*authentication failed/);
    expect(rowOf(frame, "booting")).toMatch(/◐ booting\s+starting\s+unhealthy .*loading/);
    expect(rowOf(frame, "down")).toMatch(
      /○ down\s+stopped\s+-\s+-\s+-\s+-\s+6004\s+0\s+-\s+-\s+never/,
    );
    expect(rowOf(frame, "dead")).toMatch(/✖ dead\s+crashed\s+-.*process 42 is gone/);
  });

  it("marks services waiting on a dependency and shows a running action in place of the detail", () => {
    const services = [
      service("redis", { state: "stopped" }),
      service("web", { dependsOn: ["redis"], waitingOn: ["redis"], healthy: false, detail: "502" }),
    ];
    const running = [{
      id: 1,
      taskId: "redis:start",
      service: "redis",
      startedAt: "2026-01-01T00:09:57Z",
      progress: null,
      message: "starting redis...",
    }];
    const frame = render(
      <ServiceTable
        services={services}
        selected={null}
        running={running}
        width={160}
        height={10}
        now={now}
      />,
    ).lastFrame() ?? "";
    expect(rowOf(frame, "web")).toContain("needs redis: 502");
    expect(rowOf(frame, "redis")).toContain("running start 3s: starting redis...");
  });

  it("drops the least important columns first on a narrow terminal", () => {
    const frame = render(
      <ServiceTable
        services={[service("redis")]}
        selected={null}
        running={[]}
        width={70}
        height={5}
        now={now}
      />,
    ).lastFrame() ?? "";
    const header = frame.split("\n")[0]!;
    expect(header).toMatch(/SERVICE\s+STATE\s+HEALTH/);
    expect(header).not.toContain("PID");
    expect(header).not.toContain("RST");
    expect(header).toContain("DETAIL");
    for (const line of frame.split("\n")) expect(line.length).toBeLessThanOrEqual(70);
  });

  it("scrolls a long list so that the selected service stays visible", () => {
    const services = Array.from(
      { length: 100 },
      (_, i) => service(`svc-${String(i).padStart(3, "0")}`),
    );
    const frame = render(
      <ServiceTable
        services={services}
        selected="svc-070"
        running={[]}
        width={160}
        height={12}
        now={now}
      />,
    ).lastFrame() ?? "";
    expect(frame).toContain("› ● svc-070");
    expect(frame).not.toContain("svc-000");
    expect(frame).toMatch(/\d+-\d+ of 100 services/);
    expect(frame.split("\n").length).toBeLessThanOrEqual(13);
  });
});

describe("sortServices", () => {
  it("orders by state with problems first, by CPU busiest first, by backup oldest first", () => {
    const services = [
      service("a", { cpuPercent: 5, lastBackupAt: "2026-01-01T00:00:00Z" }),
      service("b", { state: "crashed", cpuPercent: null }),
      service("c", { healthy: false, cpuPercent: 50, lastBackupAt: null }),
      service("d", { state: "stopped", lastBackupAt: "2025-12-01T00:00:00Z" }),
    ];
    expect(sortServices(services, "state").map((s) => s.name)).toEqual(["b", "c", "d", "a"]);
    expect(sortServices(services, "cpu").map((s) => s.name)).toEqual(["c", "a", "b", "d"]);
    expect(sortServices(services, "backup").map((s) => s.name)).toEqual(["b", "c", "d", "a"]);
    expect(sortServices(services, "name").map((s) => s.name)).toEqual(["a", "b", "c", "d"]);
  });
});
