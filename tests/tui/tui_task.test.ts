import { describe, expect, it } from "vitest";
import { ops } from "../helpers/test_stack.ts";
import { sharedStackEnv } from "../helpers/shared_stack.ts";

describe("tui task", () => {
  it("exits 2 without a terminal and points to status --watch", async () => {
    const run = await ops(sharedStackEnv(), ["tui"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error: the dashboard needs a terminal");
    expect(run.stderr).toContain(
      "hint: for a refreshing status without a terminal run ./ops status --watch 2",
    );
    expect(run.stdout).toBe("");
  });

  it("is listed with its options in the task help", async () => {
    const run = await ops(sharedStackEnv(), ["tui", "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("--read-only");
    expect(run.stdout).toMatch(
      /--refresh SECONDS\s+seconds between two status polls \(default 2\)/,
    );
  });
});
