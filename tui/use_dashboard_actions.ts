import { useCallback, useRef } from "react";
import { errorMessage, OpsError } from "../lib/errors.ts";
import {
  type ActionRecord,
  serviceActions,
  type ServiceSnapshot,
  type StackModel,
  type StackSnapshot,
  type TaskSummary,
} from "../lib/stack/mod.ts";
import type { DashboardMessage } from "./components/MessagePanel.tsx";
import type { ConfirmQueue } from "./hooks/use_confirm.ts";

/** What the dashboard lets the operator do, with every guard rail in one place. */
export interface DashboardActions {
  /**
   * Runs a task: in a protected environment a dangerous task first needs the
   * service name typed (that is the operator's `--force`); the task's own
   * confirmations come to the dialog through `ask`.
   */
  launch(
    task: TaskSummary,
    input?: { options?: Record<string, unknown>; args?: string[] },
    confirmed?: boolean,
  ): Promise<void>;
  /**
   * Runs an action of a service by name (start, stop, backup...): stop and
   * restart first show the dependents they affect and ask; a task with
   * required arguments opens its form instead (`openForm`).
   */
  serviceAction(service: ServiceSnapshot, action: string): Promise<void>;
}

/** Options of {@link useDashboardActions}. */
export interface DashboardActionsOptions {
  model: StackModel;
  snapshot: StackSnapshot;
  confirm: ConfirmQueue;
  setMessage(message: DashboardMessage | null): void;
  openForm(task: TaskSummary): void;
}

/** The message an action record leaves for the operator. */
export function recordMessage(record: ActionRecord): DashboardMessage {
  const details = record.output.filter((l) => l.trim() !== "" && l !== record.message);
  if (record.exitCode === 0) {
    return { tone: "ok", text: `${record.taskId}: ${record.message}`, details };
  }
  return {
    tone: "error",
    text: `${record.taskId} exited ${record.exitCode}: ${record.message}`,
    hint: record.hint,
    details: details.slice(1),
  };
}

const affecting = new Set(["stop", "restart"]);

/** The guarded actions of the dashboard. */
export function useDashboardActions(options: DashboardActionsOptions): DashboardActions {
  // the latest props, read when an action runs (actions outlive renders)
  const latest = useRef(options);
  latest.current = options;

  const launch = useCallback<DashboardActions["launch"]>(async (task, input = {}, confirmed) => {
    const { model, snapshot, confirm, setMessage } = latest.current;
    let force = confirmed === true && snapshot.protected;
    if (snapshot.protected && task.dangerous && !confirmed) {
      const target = task.service ?? task.id;
      const ok = await confirm.confirm({
        title: `${task.id} in the protected environment ${snapshot.environment}`,
        lines: [
          task.summary,
          "This is a dangerous task in a protected environment (the CLI would need --force).",
        ],
        typed: target,
        danger: true,
      });
      if (!ok) {
        setMessage({ tone: "info", text: `${task.id} was not run: not confirmed` });
        return;
      }
      force = true;
    }
    setMessage({ tone: "info", text: `${task.id} running...` });
    try {
      const record = await model.run({
        taskId: task.id,
        options: input.options ?? {},
        args: input.args ?? [],
        force,
        ask: (question) => latest.current.confirm.ask(question),
      });
      latest.current.setMessage(recordMessage(record));
    } catch (error) {
      latest.current.setMessage({
        tone: "error",
        text: errorMessage(error),
        hint: error instanceof OpsError ? error.hint ?? null : null,
      });
    }
  }, []);

  const serviceAction = useCallback<DashboardActions["serviceAction"]>(async (service, action) => {
    const { model, snapshot, confirm, setMessage, openForm } = latest.current;
    const task = serviceActions(model.tasks(), service.name).find((t) => t.action === action);
    if (!task) {
      setMessage({ tone: "info", text: `${service.name} does not offer ${action}` });
      return;
    }
    if (task.args.some((a) => a.required)) {
      openForm(task);
      return;
    }
    if (!affecting.has(action) && !(snapshot.protected && task.dangerous)) {
      return launch(task);
    }
    if (affecting.has(action)) {
      const verb = action === "stop" ? "Stop" : "Restart";
      const lines = service.dependents.length
        ? [
          `These services depend on ${service.name} and will lose it${
            action === "restart" ? " while it restarts" : ""
          }:`,
          `  ${service.dependents.join(", ")}`,
        ]
        : [`No other service depends on ${service.name}.`];
      if (snapshot.protected) {
        lines.push(`${snapshot.environment} is a protected environment.`);
      }
      const ok = await confirm.confirm({
        title: `${verb} ${service.name} in ${snapshot.environment}?`,
        lines,
        ...(snapshot.protected ? { typed: service.name } : {}),
        danger: service.dependents.length > 0 || snapshot.protected,
      });
      if (!ok) {
        setMessage({ tone: "info", text: `${task.id} was not run: not confirmed` });
        return;
      }
      return launch(task, {}, true);
    }
    return launch(task);
  }, [launch]);

  return { launch, serviceAction };
}
