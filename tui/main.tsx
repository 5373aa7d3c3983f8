/**
 * The on-call dashboard's entry: opens a live stack model and renders the
 * dashboard with Ink in the terminal's alternate screen until the operator
 * quits (the terminal is restored as it was). Imported lazily by the `tui`
 * task, so Ink and React load only when the dashboard opens.
 * @module
 */
import { render } from "ink";
import type { Environment } from "../lib/config/mod.ts";
import type { Runtime } from "../lib/runtime/runtime.ts";
import { auditLogPath, LiveStackModel } from "../lib/stack/mod.ts";
import type { AnyTask } from "../lib/task/define_task.ts";
import { runTask } from "../lib/task/run_task.ts";
import { Dashboard } from "./Dashboard.tsx";

/** Options of {@link runDashboard}. */
export interface DashboardRunOptions {
  environment: Environment;
  runtime: Runtime;
  /** The task registry: the actions, menus and palette are generated from it. */
  tasks: readonly AnyTask[];
  /** Hide every action (and give the model no task to run). */
  readOnly: boolean;
  /** Seconds between two status polls. */
  refreshSeconds: number;
  /** Closes the dashboard (SIGINT/SIGTERM of the CLI). */
  signal: AbortSignal;
}

/** What the dashboard leaves behind when it closes. */
export interface DashboardSummary {
  environment: string;
  /** Actions run from the dashboard. */
  actions: number;
  /** Of which ended with a non-zero exit code. */
  failed: number;
  /** Where they were recorded, null in read-only mode. */
  auditLog: string | null;
}

/** Runs the dashboard until the operator quits; resolves after the terminal is restored. */
export async function runDashboard(options: DashboardRunOptions): Promise<DashboardSummary> {
  const auditLog = options.readOnly ? null : auditLogPath(options.environment.stateDir);
  const model = new LiveStackModel({
    environment: options.environment,
    runtime: options.runtime,
    ...(options.readOnly ? {} : { actions: { tasks: options.tasks, runTask } }),
    intervalMs: Math.round(options.refreshSeconds * 1000),
    audit: !options.readOnly,
  });
  // Polling starts before the first frame: probes run while Ink lays out.
  model.open();
  const instance = render(
    <Dashboard
      model={model}
      readOnly={options.readOnly}
      auditLog={auditLog}
      signal={options.signal}
    />,
    { alternateScreen: true, exitOnCtrlC: false, patchConsole: true, maxFps: 20 },
  );
  try {
    await instance.waitUntilExit();
  } finally {
    instance.unmount();
    await model.close();
  }
  const history = model.snapshot().history;
  return {
    environment: options.environment.name,
    actions: history.length,
    failed: history.filter((r) => r.exitCode !== 0).length,
    auditLog,
  };
}
