import type { ServiceSnapshot, StackModel, StackSnapshot } from "../lib/stack/mod.ts";
import type { DashboardMessage } from "./components/MessagePanel.tsx";
import type { ConfirmQueue } from "./hooks/use_confirm.ts";
import type { CommandName, KeyBinding, View } from "./keymap.ts";
import { nextSortKey, type SortKey } from "./sort_services.ts";
import type { LogControls } from "./use_log_controls.ts";
import type { DashboardActions } from "./use_dashboard_actions.ts";

/** What a command does when one of its keys is pressed. */
export type CommandHandler = (binding: KeyBinding) => void;

/**
 * One handler per command name of the key map: a command the key map names
 * without a handler here does not compile, so adding a key for an existing
 * command is one row of the key map, and a new command one row in each.
 */
export type DashboardCommands = { readonly [C in CommandName]: CommandHandler };

/** The dashboard's state and effects its commands work with. */
export interface DashboardControls {
  model: StackModel;
  snapshot: StackSnapshot;
  confirm: ConfirmQueue;
  actions: DashboardActions;
  logs: LogControls;
  view: View;
  setView(view: View | ((current: View) => View)): void;
  /** The selected service now (also when a key arrives before the render of the previous move). */
  selected(): ServiceSnapshot | undefined;
  /** Services in the order the current view lists them. */
  serviceCount: number;
  /** Moves the selection of the current list (services, or schedules in the schedules view). */
  move(delta: number): void;
  /** Lines the main area shows: a page. */
  pageRows: number;
  allNames: readonly string[];
  sort: SortKey;
  setSort(sort: SortKey): void;
  message: DashboardMessage | null;
  setMessage(message: DashboardMessage | null): void;
  openHelp(): void;
  openPalette(): void;
  openMenu(service: string): void;
  runSchedule(): void;
  exit(): void;
}

/** The main views in the order `tab` visits them. */
export const viewOrder: readonly View[] = ["services", "graph", "logs", "schedules"];

/** How far the page and jump keys move the selection in the schedules view. */
const schedulePage = 10;

/** The dashboard's commands, keyed by the key map's command names. */
export function dashboardCommands(c: DashboardControls): DashboardCommands {
  const page = c.view === "schedules" ? schedulePage : Math.max(1, c.pageRows - 4);
  const all = c.view === "schedules" ? 1e6 : c.serviceCount;
  const logKey: CommandHandler = (binding) => void c.logs.handleKey(binding.keys[0]!, c.pageRows);
  const openLogs = (services: readonly string[]) => {
    c.logs.open(services);
    c.setView("logs");
  };
  return {
    quit: () => {
      const running = c.snapshot.running.length;
      if (running === 0) return c.exit();
      void c.confirm.confirm({
        title: "Quit the dashboard?",
        lines: [`${running} action(s) still running will be cancelled.`],
      }).then((ok) => ok && c.exit());
    },
    help: () => c.openHelp(),
    palette: () => c.openPalette(),
    menu: () => {
      const selected = c.selected();
      if (selected) c.openMenu(selected.name);
    },
    "view-services": () => c.setView("services"),
    "view-graph": () => c.setView("graph"),
    "view-logs": () => {
      if (c.logs.services.length === 0) c.logs.open(c.allNames);
      c.setView("logs");
    },
    "view-schedules": () => c.setView("schedules"),
    "run-schedule": () => c.runSchedule(),
    "next-view": () => c.setView((v) => viewOrder[(viewOrder.indexOf(v) + 1) % viewOrder.length]!),
    up: () => c.move(-1),
    down: () => c.move(1),
    "page-up": () => c.move(-page),
    "page-down": () => c.move(page),
    top: () => c.move(-all),
    bottom: () => c.move(all),
    sort: () => {
      const next = nextSortKey(c.sort);
      c.setSort(next);
      c.setMessage({ tone: "info", text: `sorted by ${next}` });
    },
    action: (binding) => {
      const selected = c.selected();
      if (selected && binding.action) void c.actions.serviceAction(selected, binding.action);
    },
    cancel: () => {
      // the selected service's action, else the latest stack-wide one (status, up...)
      const selected = c.selected();
      const running = c.snapshot.running.find((r) => r.service === selected?.name) ??
        c.snapshot.running.filter((r) => r.service === null).at(-1);
      if (!running) {
        return c.setMessage({ tone: "info", text: `nothing runs for ${selected?.name}` });
      }
      c.model.cancel(running.id);
      c.setMessage({ tone: "info", text: `cancelling ${running.taskId}...` });
    },
    logs: () => {
      const selected = c.selected();
      if (selected) c.logs.open([selected.name]);
      c.setView("logs");
    },
    "logs-all": () => openLogs(c.allNames),
    // the logs view's own keys: its controls take them (the dashboard offers them every key first)
    "logs-scope": logKey,
    filter: logKey,
    follow: logKey,
    wrap: logKey,
    back: () => {
      if (c.message) return c.setMessage(null);
      if (c.view !== "services") c.setView("services");
    },
  };
}

/** What the help overlay does with the key map's commands; the other keys do nothing there. */
export function helpCommands(
  close: () => void,
  scroll: (delta: number) => void,
): Partial<Record<CommandName, CommandHandler>> {
  return {
    back: close,
    help: close,
    quit: close,
    up: () => scroll(-1),
    down: () => scroll(1),
    top: () => scroll(-1e6),
  };
}
