import { afterEach, describe, expect, it } from "vitest";
import { StaticStackModel } from "../../lib/stack/mod.ts";
import { Dashboard } from "../../tui/Dashboard.tsx";
import { renderSized, type SizedRender } from "./helpers/render_sized.ts";
import { keys, service, serviceTasks, settle, stack, until } from "./helpers/stack_fixtures.ts";

let rendered: SizedRender | undefined;
afterEach(() => {
  rendered?.unmount();
  rendered = undefined;
});

function webStack(overrides: Parameters<typeof stack>[1] = {}) {
  return stack([
    service("postgres", { dependents: ["web"] }),
    service("redis", { dependents: ["web"] }),
    service("web", { dependsOn: ["postgres", "redis"], capabilities: [] }),
  ], { waves: [["postgres", "redis"], ["web"]], ...overrides });
}

const logLines = [
  { service: "postgres", text: "2026-01-01 00:00:01 UTC LOG:  database system is ready" },
  { service: "redis", text: "1:M 01 Jan 2026 00:00:02.000 * Ready to accept connections" },
  { service: "web", text: "GET /health 200" },
  { service: "redis", text: "1:M 01 Jan 2026 00:00:03.000 # Error: connection reset" },
  { service: "web", text: "GET /search 500 error: upstream timeout" },
  { service: "postgres", text: "2026-01-01 00:00:04 UTC LOG:  checkpoint complete" },
];

function open(model: StaticStackModel, size = { columns: 140, rows: 40 }) {
  rendered = renderSized(<Dashboard model={model} />, size);
  return rendered;
}

async function press(r: SizedRender, ...inputs: string[]) {
  for (const input of inputs) {
    r.stdin.write(input);
    await settle();
  }
}

const logLinesOf = (frame: string) => frame.split("\n").filter((l) => l.includes(" | "));

describe("logs view", () => {
  it("merges all services with a prefix, filters by regex and clears the filter with Esc", async () => {
    const model = new StaticStackModel({ snapshot: webStack(), tasks: [], logLines });
    const r = open(model);
    await press(r, "L");
    await until(() => r.lastFrame().includes("logs: all services merged"), r.lastFrame);
    expect(model.logRequests.at(-1)).toEqual(["postgres", "redis", "web"]);
    expect(logLinesOf(r.lastFrame())).toHaveLength(6);
    expect(r.lastFrame()).toMatch(/redis\s+\| 1:M 01 Jan 2026 00:00:02\.000 \* Ready/);
    await press(r, "/", "e", "r", "r", "o", "r");
    expect(r.lastFrame()).toContain("/error");
    await press(r, keys.enter);
    await until(() => r.lastFrame().includes("filter /error/: 2 of 6"), r.lastFrame);
    const shown = logLinesOf(r.lastFrame());
    expect(shown).toHaveLength(2);
    expect(shown[0]).toContain("Error: connection reset");
    expect(shown[1]).toContain("upstream timeout");
    await press(r, keys.escape);
    await until(() => r.lastFrame().includes("no filter"), r.lastFrame);
    expect(logLinesOf(r.lastFrame())).toHaveLength(6);
  });

  it("shows one service without a prefix and switches to all services with a", async () => {
    const model = new StaticStackModel({ snapshot: webStack(), tasks: [], logLines });
    const r = open(model);
    await press(r, "j", "l");
    await until(() => r.lastFrame().includes("logs: redis"), r.lastFrame);
    expect(r.lastFrame()).toContain("Ready to accept connections");
    expect(r.lastFrame()).not.toContain("checkpoint complete");
    expect(logLinesOf(r.lastFrame())).toHaveLength(0);
    await press(r, "a");
    await until(() => r.lastFrame().includes("all services merged"), r.lastFrame);
    expect(r.lastFrame()).toContain("checkpoint complete");
  });

  it("cuts long lines unless wrap is on", async () => {
    const long = "x".repeat(150) + "TAIL";
    const model = new StaticStackModel({
      snapshot: webStack(),
      tasks: [],
      logLines: [{ service: "web", text: long }],
    });
    const r = open(model, { columns: 100, rows: 30 });
    await press(r, "j", "j", "l");
    await until(() => r.lastFrame().includes("logs: web"), r.lastFrame);
    expect(r.lastFrame()).not.toContain("TAIL");
    await press(r, "w");
    await until(() => r.lastFrame().includes("wrap on"), r.lastFrame);
    expect(r.lastFrame()).toContain("TAIL");
  });

  it("stops following when scrolled up and follows again with G", async () => {
    const lines = Array.from({ length: 200 }, (_, i) => ({
      service: "web",
      text: `request ${String(i + 1).padStart(3, "0")}`,
    }));
    const model = new StaticStackModel({ snapshot: webStack(), tasks: [], logLines: lines });
    const r = open(model, { columns: 100, rows: 30 });
    await press(r, "j", "j", "l");
    await until(() => r.lastFrame().includes("request 200"), r.lastFrame);
    expect(r.lastFrame()).toContain("follow on");
    await press(r, "k", "k", "k");
    await until(() => r.lastFrame().includes("follow off"), r.lastFrame);
    expect(r.lastFrame()).toContain("request 197");
    expect(r.lastFrame()).not.toContain("request 198");
    expect(r.lastFrame()).toContain("line 197 of 200");
    await press(r, "G");
    await until(() => r.lastFrame().includes("request 200"), r.lastFrame);
    expect(r.lastFrame()).toContain("follow on");
  });
});

describe("dependency view", () => {
  it("draws the waves with health on every node and names what a stop would affect", async () => {
    const snapshot = webStack();
    snapshot.services[1] = service("redis", { state: "stopped", dependents: ["web"] });
    snapshot.services[2] = service("web", {
      dependsOn: ["postgres", "redis"],
      waitingOn: ["redis"],
      healthy: false,
      capabilities: [],
    });
    const model = new StaticStackModel({ snapshot, tasks: [] });
    const r = open(model);
    await press(r, "2");
    await until(() => r.lastFrame().includes("wave 1 (starts first)"), r.lastFrame);
    const frame = r.lastFrame();
    expect(frame).toContain("wave 2");
    expect(frame).toContain("● postgres healthy");
    expect(frame).toContain("○ redis stopped");
    expect(frame).toContain("▲ web unhealthy");
    expect(frame).toContain("← ●postgres ○redis");
    expect(frame).toContain("stopping or restarting postgres affects: web");
    await press(r, "j", "j");
    await until(() => r.lastFrame().includes("nothing depends on web"), r.lastFrame);
  });
});

describe("modes and layout", () => {
  it("keeps the red banner of a protected environment on every view", async () => {
    const model = new StaticStackModel({
      snapshot: webStack({ protected: true, environment: "production" }),
      tasks: serviceTasks("redis"),
      logLines,
    });
    const r = open(model);
    for (const view of ["1", "2", "3", "?"]) {
      await press(r, view);
      expect(r.lastFrame().split("\n")[0]).toContain("PRODUCTION · protected environment");
      if (view === "?") await press(r, keys.escape);
    }
  });

  it("lays out again when the terminal is resized", async () => {
    const model = new StaticStackModel({ snapshot: webStack(), tasks: serviceTasks("redis") });
    const r = open(model, { columns: 160, rows: 40 });
    await until(() => r.lastFrame().includes("PID"), r.lastFrame);
    expect(r.lastFrame().split("\n").length).toBeGreaterThan(30);
    r.resize(70, 20);
    await until(() => !r.lastFrame().includes("PID"), r.lastFrame);
    const lines = r.lastFrame().split("\n");
    expect(lines.length).toBeLessThanOrEqual(20);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(70);
    expect(r.lastFrame()).toContain("● postgres");
    r.resize(160, 40);
    await until(() => r.lastFrame().includes("PID"), r.lastFrame);
  });
});
