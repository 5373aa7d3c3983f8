/**
 * Snapshots and task lists for component tests: the dashboard renders a
 * StaticStackModel the same way as a live one (the live model is tested
 * against real servers in tests/lib/stack and end to end in tmux).
 */
import type { ServiceSnapshot, StackSnapshot, TaskSummary } from "../../../lib/stack/mod.ts";
import { lifecycleOf } from "../../../lib/stack/mod.ts";

/** A running, healthy service unless overridden. */
export function service(name: string, overrides: Partial<ServiceSnapshot> = {}): ServiceSnapshot {
  const state = overrides.state ?? "running";
  const healthy = overrides.healthy ?? state === "running";
  const running = state === "running" || state === "starting";
  return {
    name,
    description: `${name} service`,
    state,
    healthy,
    lifecycle: lifecycleOf(state, healthy),
    latencyMs: running ? 1.5 : null,
    pid: running ? 4000 + name.length : null,
    port: 6000 + name.length,
    detail: healthy ? "ok" : state,
    startedAt: running ? "2026-01-01T00:00:00.000Z" : null,
    uptimeSeconds: running ? 125 : null,
    crashRestarts: running ? 0 : null,
    dependsOn: [],
    restarts: 0,
    cpuPercent: running ? 1.2 : null,
    memoryKb: running ? 20480 : null,
    lastBackupAt: null,
    dependents: [],
    waitingOn: [],
    capabilities: ["backup"],
    ...overrides,
  };
}

/** A stack snapshot of the given services. */
export function stack(
  services: ServiceSnapshot[],
  overrides: Partial<StackSnapshot> = {},
): StackSnapshot {
  return {
    environment: "test",
    protected: false,
    runtime: "native",
    updatedAt: "2026-01-01T00:02:05.000Z",
    metricsAt: null,
    services,
    waves: [services.map((s) => s.name)],
    error: null,
    running: [],
    history: [],
    ...overrides,
  };
}

/** A registry-like task summary. */
export function task(id: string, overrides: Partial<TaskSummary> = {}): TaskSummary {
  const [service, action] = id.includes(":") ? id.split(":") : [null, id];
  return {
    id,
    summary: `${action} ${service ?? "the stack"}`,
    service: service ?? null,
    action: action!,
    permissions: "ops",
    dangerous: false,
    options: {},
    args: [],
    passThrough: false,
    ...overrides,
  };
}

/** The lifecycle tasks every service has, plus backup. */
export function serviceTasks(name: string): TaskSummary[] {
  return ["start", "stop", "restart", "logs", "validate-deps", "backup"].map((a) =>
    task(`${name}:${a}`)
  );
}

/** Waits until `check` passes (Ink renders asynchronously), failing with the last frame. */
export async function until(
  check: () => boolean,
  describe: () => string = () => "",
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met; last frame:\n${describe()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Lets Ink process pending input and render. */
export function settle(ms = 30): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Terminal key sequences. */
export const keys = {
  up: "\u001B[A",
  down: "\u001B[B",
  enter: "\r",
  escape: "\u001B",
  tab: "\t",
  backspace: "\u007F",
} as const;
