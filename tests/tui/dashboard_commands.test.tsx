import { render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { StaticStackModel } from "../../lib/stack/mod.ts";
import { Dashboard } from "../../tui/Dashboard.tsx";
import { dashboardCommands, helpCommands } from "../../tui/dashboard_commands.ts";
import { type CommandName, defaultKeymap, type KeyBinding } from "../../tui/keymap.ts";
import { keys, service, serviceTasks, settle, stack, until } from "./helpers/stack_fixtures.ts";

type Rendered = ReturnType<typeof render>;
let rendered: Rendered | undefined;
afterEach(() => {
  rendered?.unmount();
  rendered = undefined;
});

const frame = () => rendered?.lastFrame() ?? "";

async function press(...inputs: string[]) {
  for (const input of inputs) {
    rendered!.stdin.write(input);
    await settle();
  }
}

function twoServices() {
  return new StaticStackModel({
    snapshot: stack([
      service("postgres", { dependents: ["web"] }),
      service("web", {
        dependsOn: ["postgres"],
        capabilities: [],
      }),
    ], { waves: [["postgres"], ["web"]] }),
    tasks: [...serviceTasks("postgres"), ...serviceTasks("web")],
  });
}

describe("the dashboard's commands table", () => {
  it("has a handler for every command the key map names, and for nothing else", () => {
    const calls: string[] = [];
    const record = (what: string) => () => void calls.push(what);
    const commands = dashboardCommands({
      model: twoServices(),
      snapshot: twoServices().snapshot(),
      confirm: {
        current: undefined,
        confirm: () => Promise.resolve(false),
        ask: () => Promise.resolve(null),
      },
      actions: { launch: () => Promise.resolve(), serviceAction: () => Promise.resolve() },
      logs: {
        services: [],
        logs: { lines: [], dropped: 0 } as never,
        position: {} as never,
        wrap: false,
        filter: null as never,
        filterDraft: null,
        open: record("logs.open"),
        handleKey: () => true,
      },
      view: "services",
      setView: record("setView"),
      selected: () => undefined,
      serviceCount: 2,
      move: (delta) => void calls.push(`move ${delta}`),
      pageRows: 14,
      allNames: ["postgres", "web"],
      sort: "name",
      setSort: record("setSort"),
      message: null,
      setMessage: record("setMessage"),
      openHelp: record("openHelp"),
      openPalette: record("openPalette"),
      openMenu: record("openMenu"),
      runSchedule: record("runSchedule"),
      exit: record("exit"),
    });
    const named = new Set<CommandName>(defaultKeymap.map((b) => b.command));
    expect(new Set(Object.keys(commands))).toEqual(named);
    for (const name of named) expect(typeof commands[name]).toBe("function");
    const binding = (command: CommandName) => defaultKeymap.find((b) => b.command === command)!;
    commands["page-down"](binding("page-down"));
    commands.top(binding("top"));
    commands.quit(binding("quit"));
    // a page is the main area less its frame; top moves by the whole list; nothing runs: quit exits
    expect(calls).toEqual(["move 10", "move -2", "exit"]);
  });

  it("gives the help overlay only the key map's close and scroll commands", () => {
    const calls: string[] = [];
    const help = helpCommands(() => calls.push("close"), (delta) => calls.push(`scroll ${delta}`));
    expect(Object.keys(help).sort()).toEqual(["back", "down", "help", "quit", "top", "up"]);
    for (const command of ["back", "help", "quit", "down", "up"] as const) {
      help[command]!(defaultKeymap.find((b) => b.command === command)!);
    }
    expect(calls).toEqual(["close", "close", "close", "scroll 1", "scroll -1"]);
  });

  it("takes a new key for an existing command from one row of the key map, in the help too", async () => {
    const keymap: KeyBinding[] = [
      ...defaultKeymap,
      { keys: ["D"], command: "view-graph", description: "dependencies at once", views: "all" },
    ];
    rendered = render(<Dashboard model={twoServices()} keymap={keymap} />);
    await until(() => frame().includes("postgres"), frame);
    expect(frame()).not.toContain("wave 1 (starts first)");
    await press("D");
    await until(() => frame().includes("wave 1 (starts first)"), frame);
    await press("?");
    await until(() => frame().includes("closes this help"), frame);
    let seen = frame();
    for (let i = 0; i < 12; i++) {
      await press("j");
      seen += frame();
    }
    expect(seen).toContain("dependencies at once");
    // Esc is the key map's `back`: in the help it closes the help
    await press(keys.escape);
    await until(() => !frame().includes("closes this help"), frame);
  });
});
