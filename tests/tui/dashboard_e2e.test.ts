/**
 * The real dashboard in a real terminal (tmux) against a stack this file
 * starts: every step is checked on the captured screen.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dependenciesOf, dependentsOf } from "../../lib/graph/mod.ts";
import { loadServices } from "../../lib/service/mod.ts";
import { createTestEnvironment, opsOk, root, type TestEnvironment } from "../helpers/test_stack.ts";
import { tmuxSession } from "./helpers/tmux_session.ts";

const terminal = tmuxSession("hailmary-tui-e2e");
const { keys, screen, waitFor } = terminal;
let env: TestEnvironment;
/** Services that depend on redis: configured (to show the impact) but never started. */
let dependents: string[] = [];

const row = (text: string, name: string) =>
  text.split("\n").find((l) => new RegExp(`^[› ] . ${name} `).test(l)) ?? "";

beforeAll(async () => {
  // A stack where something depends on redis when such a service exists: its
  // dependents (and what they need) are configured but not started.
  const definitions = await loadServices();
  const graph = Object.fromEntries(definitions.map((d) => [d.name, Object.keys(d.dependsOn)]));
  dependents = dependentsOf(graph, "redis");
  const services = new Set(["postgres", "redis"]);
  for (const d of dependents) {
    services.add(d);
    for (const dep of dependenciesOf(graph, d)) services.add(dep);
  }
  env = await createTestEnvironment({ services: [...services].sort() });
  await opsOk(env.file, ["up", "postgres", "redis"]);
  await terminal.start();
});

afterAll(async () => {
  await terminal.kill();
  if (env) {
    await opsOk(env.file, ["down"]).catch(() => {});
    await env.remove();
  }
});

describe("the dashboard in a terminal", () => {
  it(
    "shows the stack, stops and starts redis with confirmation, filters merged logs and quits cleanly",
    async () => {
      await keys(
        // CI=true makes Ink skip interactive frames (it expects no terminal there); an operator's terminal has no CI
        `cd ${root} && env -u CI ./ops tui --env ${env.file}`,
        "Enter",
      );

      // 1. the services, healthy
      // generous first wait: in a fresh checkout the first start compiles every dashboard module
      let text = await waitFor(
        "postgres and redis healthy",
        (t) =>
          /running\s+healthy/.test(row(t, "postgres")) && /running\s+healthy/.test(row(t, "redis")),
        120_000,
      );
      expect(text).toContain("HailMary Ops  env test (native)");
      expect(text).toMatch(/SERVICE\s+STATE\s+HEALTH\s+LATENCY\s+UPTIME\s+PID\s+PORT/);

      // 2. select redis and stop it: the dialog names the dependents first
      const selectedLine = (t: string) => t.split("\n").find((l) => l.startsWith("› ")) ?? "";
      for (let i = 0; i < 10 && !row(await screen(), "redis").startsWith("›"); i++) {
        const before = selectedLine(await screen());
        await keys("j");
        await waitFor("the selection to move", (t) => selectedLine(t) !== before, 5000);
      }
      text = await screen();
      expect(row(text, "redis").startsWith("›")).toBe(true);
      for (const d of dependents) expect(row(text, d)).not.toMatch(/needs .*redis/);
      await keys("x");
      text = await waitFor("the stop dialog", (t) => t.includes("Stop redis in test?"));
      if (dependents.length) {
        expect(text).toContain("These services depend on redis and will lose it:");
        for (const d of dependents) expect(text).toContain(d);
      } else {
        expect(text).toContain("No other service depends on redis.");
      }
      await keys("y");
      text = await waitFor("redis stopped", (t) => /○ redis\s+stopped/.test(row(t, "redis")));
      expect(text).toMatch(/✓ exit 0 redis:stop/);
      expect(row(text, "postgres")).toMatch(/running\s+healthy/);
      for (const d of dependents) {
        expect(row(text, d)).toMatch(/needs .*redis/);
      }

      // 3. start it again
      await keys("s");
      text = await waitFor("redis healthy again", (t) => /running\s+healthy/.test(row(t, "redis")));
      await waitFor("the start in the history", (t) => /✓ exit 0 redis:start/.test(t));

      // 4. merged logs, filtered
      await keys("L");
      text = await waitFor(
        "merged logs",
        (t) =>
          t.includes("logs: all services merged") && /redis\s+\|/.test(t) &&
          /postgres\s+\|/.test(t),
      );
      await keys("/");
      await keys("-l", "ready to accept");
      await keys("Enter");
      text = await waitFor(
        "the filtered logs",
        (t) => /filter \/ready to accept\/: \d+ of \d+/.test(t),
      );
      const logLines = text.split("\n").filter((l) => / \| /.test(l));
      expect(logLines.length).toBeGreaterThan(0);
      for (const line of logLines) expect(line.toLowerCase()).toContain("ready to accept");
      expect(logLines.some((l) => /^redis\s+\|/.test(l))).toBe(true);
      expect(logLines.some((l) => /^postgres\s+\|/.test(l))).toBe(true);

      // 5. quit: the shell is back, the screen as it was, the terminal sane
      await keys("q");
      text = await waitFor(
        "the shell prompt",
        (t) => /dashboard closed: 2 action\(s\) run in test/.test(t),
      );
      expect(text).not.toContain("HailMary Ops  env");
      expect(text).toContain(`audit log ${join(env.stateDir, "audit.log")}`);
      await keys(
        "-l",
        "stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(icanon|echo|isig)'; echo typed-back",
      );
      await keys("Enter");
      text = await waitFor("stty output", (t) => /^typed-back$/m.test(t));
      expect(text).toMatch(/^icanon$/m);
      expect(text).toMatch(/^echo$/m);
      expect(text).toMatch(/^isig$/m);
      expect(text).not.toMatch(/^-(icanon|echo|isig)$/m);

      const audit = (await Deno.readTextFile(join(env.stateDir, "audit.log"))).trim().split("\n")
        .map((l) => JSON.parse(l));
      expect(audit.map((a) => [a.task, a.exitCode])).toEqual([["redis:stop", 0], [
        "redis:start",
        0,
      ]]);
    },
    300_000,
  );
});
