import { render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { StaticStackModel } from "../../lib/stack/mod.ts";
import { Dashboard } from "../../tui/Dashboard.tsx";
import {
  keys,
  service,
  serviceTasks,
  settle,
  stack,
  task,
  until,
} from "./helpers/stack_fixtures.ts";

type Rendered = ReturnType<typeof render>;
let rendered: Rendered | undefined;
afterEach(() => {
  rendered?.unmount();
  rendered = undefined;
});

/** postgres <- web, redis <- web: stopping redis affects web. */
function webStack(overrides: Parameters<typeof stack>[1] = {}) {
  return stack([
    service("postgres", { dependents: ["web"] }),
    service("redis", { dependents: ["web"] }),
    service("web", { dependsOn: ["postgres", "redis"], capabilities: [] }),
  ], { waves: [["postgres", "redis"], ["web"]], ...overrides });
}

function open(model: StaticStackModel, props: { readOnly?: boolean } = {}) {
  rendered = render(
    <Dashboard model={model} {...props} now={() => Date.parse("2026-01-01T00:02:05Z")} />,
  );
  return rendered;
}

async function press(r: Rendered, ...inputs: string[]) {
  for (const input of inputs) {
    r.stdin.write(input);
    await settle();
  }
}

const frame = (r: Rendered) => r.lastFrame() ?? "";

describe("dashboard key dispatch", () => {
  it("moves the selection with j/k and the arrows and starts the selected service with s", async () => {
    const model = new StaticStackModel({
      snapshot: webStack(),
      tasks: [...serviceTasks("postgres"), ...serviceTasks("redis"), ...serviceTasks("web")],
    });
    const r = open(model);
    await until(() => frame(r).includes("› ● postgres"), () => frame(r));
    await press(r, "j");
    expect(frame(r)).toContain("› ● redis");
    await press(r, keys.down, keys.up, "k", "j");
    expect(frame(r)).toContain("› ● redis");
    await press(r, "s");
    await until(() => model.requests.length === 1, () => frame(r));
    expect(model.requests[0]).toMatchObject({ taskId: "redis:start", force: false });
    await until(() => frame(r).includes("redis:start: done"), () => frame(r));
    expect(frame(r)).toContain("✓ exit 0 redis:start");
  });

  it("asks before stopping a service and names the dependents that lose it", async () => {
    const model = new StaticStackModel({
      snapshot: webStack(),
      tasks: [...serviceTasks("postgres"), ...serviceTasks("redis"), ...serviceTasks("web")],
    });
    const r = open(model);
    await until(() => frame(r).includes("› ● postgres"), () => frame(r));
    await press(r, "j", "x");
    await until(() => frame(r).includes("Stop redis in test?"), () => frame(r));
    expect(frame(r)).toContain("These services depend on redis and will lose it:");
    expect(frame(r)).toMatch(/\s+web\s/);
    // Enter alone means no
    await press(r, keys.enter);
    await until(() => frame(r).includes("redis:stop was not run: not confirmed"), () => frame(r));
    expect(model.requests).toEqual([]);
    await press(r, "x");
    await until(() => frame(r).includes("Stop redis in test?"), () => frame(r));
    await press(r, "y");
    await until(() => model.requests.length === 1, () => frame(r));
    expect(model.requests[0]!.taskId).toBe("redis:stop");
  });

  it("acts on the service the previous keys selected, even when they arrive together", async () => {
    const model = new StaticStackModel({
      snapshot: webStack(),
      tasks: [...serviceTasks("postgres"), ...serviceTasks("redis"), ...serviceTasks("web")],
    });
    const r = open(model);
    await until(() => frame(r).includes("› ● postgres"), () => frame(r));
    await press(r, "jjx");
    await until(() => frame(r).includes("Stop web in test?"), () => frame(r));
  });

  it("says when nothing depends on the service being restarted", async () => {
    const model = new StaticStackModel({
      snapshot: webStack(),
      tasks: serviceTasks("web"),
    });
    const r = open(model);
    await press(r, "j", "j", "r");
    await until(() => frame(r).includes("Restart web in test?"), () => frame(r));
    expect(frame(r)).toContain("No other service depends on web.");
  });

  it("in a protected environment needs the service name typed and passes it on as --force", async () => {
    const model = new StaticStackModel({
      snapshot: webStack({ protected: true, environment: "production" }),
      tasks: serviceTasks("redis"),
    });
    const r = open(model);
    await until(() => frame(r).includes("PRODUCTION · protected environment"), () => frame(r));
    await press(r, "j", "x");
    await until(() => frame(r).includes("Type redis and press Enter"), () => frame(r));
    // y is not enough, and a wrong name is refused
    await press(r, "y", "e", "s", keys.enter);
    await until(() => frame(r).includes("not confirmed"), () => frame(r));
    expect(model.requests).toEqual([]);
    await press(r, "x");
    await until(() => frame(r).includes("Type redis and press Enter"), () => frame(r));
    // typed quickly: the name and Enter arrive in one read
    await press(r, "redis" + keys.enter);
    await until(() => model.requests.length === 1, () => frame(r));
    expect(model.requests[0]).toMatchObject({ taskId: "redis:stop", force: true });
  });

  it("shows only the actions the selected service offers", async () => {
    const model = new StaticStackModel({
      snapshot: webStack(),
      tasks: [...serviceTasks("postgres"), task("web:start"), task("web:stop")],
    });
    const r = open(model);
    await until(() => frame(r).includes("b backup"), () => frame(r));
    await press(r, "j", "j");
    await until(() => frame(r).includes("› ● web"), () => frame(r));
    expect(frame(r)).toContain("s start");
    expect(frame(r)).not.toContain("b backup");
    await press(r, "b");
    await until(() => frame(r).includes("web does not offer backup"), () => frame(r));
    expect(model.requests).toEqual([]);
  });

  it("routes a task's own confirmation to the dialog and returns the operator's answer", async () => {
    const questions: string[] = [];
    const model = new StaticStackModel({
      snapshot: webStack(),
      tasks: [task("redis:flush", { dangerous: true })],
      onRun: async (request) => {
        const question = "About to flush 42 keys of redis in test. Go on? [y/N] ";
        questions.push(question);
        const answer = await request.ask!(question);
        return answer === "y"
          ? { exitCode: 0, message: "flushed 42 keys" }
          : { exitCode: 2, message: "not confirmed: flush 42 keys was not done" };
      },
    });
    const r = open(model);
    await press(r, "j", keys.enter);
    await until(() => frame(r).includes("actions of redis"), () => frame(r));
    await press(r, keys.enter);
    await until(() => frame(r).includes("About to flush 42 keys"), () => frame(r));
    await press(r, "y");
    await until(() => frame(r).includes("redis:flush: flushed 42 keys"), () => frame(r));
    expect(questions).toHaveLength(1);
  });
});

describe("dashboard palette and form", () => {
  it("runs any task from the palette with its options filled in the form", async () => {
    const model = new StaticStackModel({
      snapshot: webStack(),
      tasks: [
        ...serviceTasks("redis"),
        task("redis:flush", {
          dangerous: true,
          options: {
            db: { type: "number", description: "database number", min: 0, integer: true },
            "dry-run": { type: "boolean", description: "count only", default: false },
          },
        }),
      ],
    });
    const r = open(model);
    await press(r, ":");
    await until(() => frame(r).includes("run a task"), () => frame(r));
    await press(r, "f", "l", "u");
    expect(frame(r)).toContain("redis:flush");
    expect(frame(r)).not.toContain("redis:start");
    await press(r, keys.escape, ":");
    // typed quickly: the filter and Enter in one read still open the task filtered to
    await press(r, "flu" + keys.enter);
    await until(() => frame(r).includes("--db"), () => frame(r));
    // a bad value is refused with the CLI's own message
    await press(r, "x", keys.enter);
    await until(() => frame(r).includes("must be a number"), () => frame(r));
    await press(r, keys.backspace, "3", keys.down, " ");
    await until(() => frame(r).includes("./ops redis:flush --db=3 --dry-run"), () => frame(r));
    await press(r, keys.enter);
    await until(() => model.requests.length === 1, () => frame(r));
    expect(model.requests[0]).toMatchObject({
      taskId: "redis:flush",
      options: { db: 3, "dry-run": true },
    });
  });

  it("lists every key of the key map in the help", async () => {
    const { defaultKeymap } = await import("../../tui/keymap.ts");
    const model = new StaticStackModel({ snapshot: webStack(), tasks: serviceTasks("redis") });
    rendered = render(<Dashboard model={model} />);
    const r = rendered;
    await press(r, "?");
    await until(() => frame(r).includes("closes this help"), () => frame(r));
    // the help scrolls when the terminal is short: read it to the end
    let seen = frame(r);
    for (let i = 0; i < 10; i++) {
      await press(r, "j");
      seen += frame(r);
    }
    for (const binding of defaultKeymap) {
      expect(seen, binding.description).toContain(binding.description);
      for (const key of binding.keys) expect(seen).toContain(key);
    }
    await press(r, "?");
    await until(() => !frame(r).includes("closes this help"), () => frame(r));
  });
});

describe("read-only mode", () => {
  it("hides every action: no action keys, palette or menu, and keys do nothing", async () => {
    const model = new StaticStackModel({ snapshot: webStack(), tasks: serviceTasks("redis") });
    const r = open(model, { readOnly: true });
    await until(() => frame(r).includes("READ-ONLY"), () => frame(r));
    expect(frame(r)).toContain("read-only: actions are hidden");
    expect(frame(r)).not.toMatch(/s start|x stop|: palette|enter menu/);
    await press(r, "j", "s", "x", "r", "b", ":", keys.enter);
    await settle(100);
    expect(model.requests).toEqual([]);
    expect(frame(r)).not.toContain("run a task");
    expect(frame(r)).not.toContain("Stop redis");
    await press(r, "?");
    await until(() => frame(r).includes("closes this help"), () => frame(r));
    expect(frame(r)).not.toContain("start the selected service");
    expect(frame(r)).toContain("logs of the selected service");
  });
});
