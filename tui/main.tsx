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
import { auditLogPath, LiveStackModel, type ModelActions } from "../lib/stack/mod.ts";
import { Dashboard } from "./Dashboard.tsx";

/** Options of {@link runDashboard}. */
export interface DashboardRunOptions {
  environment: Environment;
  runtime: Runtime;
  /**
   * Loads what actions run with (the task registry, from which the actions,
   * menus and palette are generated, and the fully loaded environment).
   * Called after the first frame, so the dashboard shows before they load.
   */
  actions: () => Promise<ModelActions>;
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
  let actionsFailed: unknown;
  if (!options.readOnly) {
    // after the first frame: in read-only mode the model gets no task to run at all
    options.actions().then((actions) => model.enableActions(actions), (error) => {
      actionsFailed = error;
      instance.unmount();
    });
  }
  try {
    await instance.waitUntilExit();
  } finally {
    instance.unmount();
    await model.close();
  }
  if (actionsFailed !== undefined) throw actionsFailed;
  const history = model.snapshot().history;
  return {
    environment: options.environment.name,
    actions: history.length,
    failed: history.filter((r) => r.exitCode !== 0).length,
    auditLog,
  };
}
