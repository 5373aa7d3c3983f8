/**
 * The monitoring files as CI checks them: promtool (Debian's prometheus
 * package, installed by ./ops setup) validates the configuration and the
 * rules, and runs the rules' unit tests.
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { parse } from "yaml";
import { root } from "../helpers/test_stack.ts";
import { families } from "../../lib/metrics/collect_metrics.ts";

async function promtool(args: string[]): Promise<{ code: number; out: string }> {
  const { code, stdout, stderr } = await new Deno.Command("promtool", {
    args,
    cwd: join(root, "monitoring"),
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code, out: new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr) };
}

describe("monitoring", () => {
  it("alerts.yml passes promtool check rules with every rule the issue asks for", async () => {
    const run = await promtool(["check", "rules", "alerts.yml"]);
    expect(run.out).toContain("SUCCESS: 8 rules found");
    expect(run.code).toBe(0);
    const text = await Deno.readTextFile(join(root, "monitoring", "alerts.yml"));
    for (
      const alert of [
        "HailMaryServiceDown",
        "HailMaryBackupTooOld",
        "HailMaryScheduleFailed",
        "HailMaryScheduleMissed",
        "HailMaryDeadLetters",
        "HailMaryBackupDiskNearlyFull",
        "HailMaryWalArchiveBehind",
      ]
    ) expect(text).toContain(`alert: ${alert}`);
  });

  it("the alert rules' unit tests pass (promtool test rules)", async () => {
    const run = await promtool(["test", "rules", "alerts_test.yml"]);
    expect(run.out).toContain("SUCCESS");
    expect(run.code).toBe(0);
  });

  it("every hailmary_ series a rule or its test names is one ./ops metrics declares", async () => {
    const declared = new Set(families.map(([name]) => name));
    const rules = parse(await Deno.readTextFile(join(root, "monitoring", "alerts.yml"))) as {
      groups: { rules: { expr: string }[] }[];
    };
    const tests = await Deno.readTextFile(join(root, "monitoring", "alerts_test.yml"));
    const used = [
      ...rules.groups.flatMap((g) => g.rules.map((r) => r.expr)),
      tests,
    ].flatMap((text) => text.match(/\bhailmary_[a-z_]+/g) ?? []);
    expect(used.length).toBeGreaterThan(8);
    expect(used.filter((name) => !declared.has(name))).toEqual([]);
  });

  it("prometheus.yml is a valid configuration that loads the rules", async () => {
    const run = await promtool(["check", "config", "prometheus.yml"]);
    expect(run.out).toContain("1 rule files found");
    expect(run.code).toBe(0);
  });
});
