import type { Key } from "ink";

/** The dashboard's main views. */
export type View = "services" | "graph" | "logs" | "schedules";

/** Every command a key can trigger. */
export type CommandName =
  | "quit"
  | "help"
  | "palette"
  | "menu"
  | "view-services"
  | "view-graph"
  | "view-logs"
  | "view-schedules"
  | "run-schedule"
  | "next-view"
  | "up"
  | "down"
  | "page-up"
  | "page-down"
  | "top"
  | "bottom"
  | "sort"
  | "action"
  | "logs"
  | "logs-all"
  | "logs-scope"
  | "filter"
  | "follow"
  | "wrap"
  | "cancel"
  | "back";

/** One entry of the key map. */
export interface KeyBinding {
  /** Key names as {@link keyName} produces them; the first one is shown in hints. */
  keys: readonly string[];
  command: CommandName;
  /** For `action`: the registry action run on the selected service. */
  action?: string;
  description: string;
  /** Views where the key works. */
  views: readonly View[] | "all";
  /** Changes something: hidden (and unbound) in read-only mode. */
  acts?: boolean;
}

const lists: readonly View[] = ["services", "graph"];

/**
 * The default key map (k9s and process-compose habits). The footer and the
 * help screen are generated from this one table; what each command does is
 * the row of the same name in `dashboardCommands` (dashboard_commands.ts), so
 * another key for a command is one more key here.
 */
export const defaultKeymap: readonly KeyBinding[] = [
  { keys: ["up", "k"], command: "up", description: "select the previous line", views: "all" },
  { keys: ["down", "j"], command: "down", description: "select the next line", views: "all" },
  { keys: ["pgup"], command: "page-up", description: "one page up", views: "all" },
  { keys: ["pgdn"], command: "page-down", description: "one page down", views: "all" },
  { keys: ["home", "g"], command: "top", description: "go to the first line", views: "all" },
  { keys: ["end", "G"], command: "bottom", description: "go to the last line", views: "all" },
  { keys: ["1"], command: "view-services", description: "services view", views: "all" },
  { keys: ["2"], command: "view-graph", description: "dependency view", views: "all" },
  { keys: ["3"], command: "view-logs", description: "logs view", views: "all" },
  { keys: ["4"], command: "view-schedules", description: "schedules view", views: "all" },
  { keys: ["tab"], command: "next-view", description: "next view", views: "all" },
  { keys: ["o"], command: "sort", description: "change the sort order", views: ["services"] },
  {
    keys: ["s"],
    command: "action",
    action: "start",
    description: "start the selected service",
    views: lists,
    acts: true,
  },
  {
    keys: ["x"],
    command: "action",
    action: "stop",
    description: "stop it (names its dependents)",
    views: lists,
    acts: true,
  },
  {
    keys: ["r"],
    command: "action",
    action: "restart",
    description: "restart it (names its dependents)",
    views: lists,
    acts: true,
  },
  {
    keys: ["b"],
    command: "action",
    action: "backup",
    description: "back up the selected service",
    views: lists,
    acts: true,
  },
  {
    keys: ["v"],
    command: "action",
    action: "validate-deps",
    description: "check the service's dependencies",
    views: lists,
    acts: true,
  },
  {
    keys: ["enter"],
    command: "menu",
    description: "every action of the selected service",
    views: lists,
    acts: true,
  },
  {
    keys: ["c"],
    command: "cancel",
    description: "cancel the running action",
    views: lists,
    acts: true,
  },
  {
    keys: ["enter", "n"],
    command: "run-schedule",
    description: "run the selected schedule now",
    views: ["schedules"],
    acts: true,
  },
  { keys: ["l"], command: "logs", description: "logs of the selected service", views: lists },
  { keys: ["L"], command: "logs-all", description: "logs of all services, merged", views: lists },
  {
    keys: ["a"],
    command: "logs-scope",
    description: "one service / all services merged",
    views: ["logs"],
  },
  { keys: ["/"], command: "filter", description: "filter lines by a regex", views: ["logs"] },
  { keys: ["f"], command: "follow", description: "follow new lines on/off", views: ["logs"] },
  { keys: ["w"], command: "wrap", description: "wrap long lines on/off", views: ["logs"] },
  {
    keys: [":"],
    command: "palette",
    description: "run any task (palette)",
    views: "all",
    acts: true,
  },
  { keys: ["?"], command: "help", description: "this help", views: "all" },
  {
    keys: ["esc"],
    command: "back",
    description: "close message, clear filter, go back",
    views: "all",
  },
  { keys: ["q", "ctrl+c"], command: "quit", description: "quit", views: "all" },
];

/** The name of a key press: `up`, `enter`, `esc`, `ctrl+c`, or the character itself. */
export function keyName(input: string, key: Key): string {
  if (key.upArrow) return "up";
  if (key.downArrow) return "down";
  if (key.leftArrow) return "left";
  if (key.rightArrow) return "right";
  if (key.pageUp) return "pgup";
  if (key.pageDown) return "pgdn";
  if (key.home) return "home";
  if (key.end) return "end";
  if (key.return) return "enter";
  if (key.escape) return "esc";
  if (key.tab) return key.shift ? "shift+tab" : "tab";
  if (key.backspace || key.delete) return "backspace";
  if (key.ctrl && input) return `ctrl+${input.toLowerCase()}`;
  return input;
}

/** The bindings that apply in a view (without the acting ones in read-only mode). */
export function bindingsFor(
  keymap: readonly KeyBinding[],
  view: View,
  readOnly: boolean,
): KeyBinding[] {
  return keymap.filter((b) =>
    (b.views === "all" || b.views.includes(view)) && !(readOnly && b.acts)
  );
}

/** The binding a key triggers in a view, if any. */
export function bindingFor(
  keymap: readonly KeyBinding[],
  name: string,
  view: View,
  readOnly: boolean,
): KeyBinding | undefined {
  return bindingsFor(keymap, view, readOnly).find((b) => b.keys.includes(name));
}
