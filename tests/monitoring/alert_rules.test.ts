/**
 * The monitoring files as CI checks them: promtool (Debian's prometheus
 * package, installed by ./ops setup) validates the configuration and the
 * rules, and runs the rules' unit tests.
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { root } from "../helpers/test_stack.ts";

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
    expect(run.out).toContain("SUCCESS: 7 rules found");
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
      ]
    ) expect(text).toContain(`alert: ${alert}`);
  });

  it("the alert rules' unit tests pass (promtool test rules)", async () => {
    const run = await promtool(["test", "rules", "alerts_test.yml"]);
    expect(run.out).toContain("SUCCESS");
    expect(run.code).toBe(0);
  });

  it("prometheus.yml is a valid configuration that loads the rules", async () => {
    const run = await promtool(["check", "config", "prometheus.yml"]);
    expect(run.out).toContain("1 rule files found");
    expect(run.code).toBe(0);
  });
});
