import { describe, expect, it } from "vitest";
import { ops } from "../helpers/test_stack.ts";

// The refusals come before anything runs: no Docker daemon is needed for them.
const fixture = (name: string) => `tests/fixtures/compose/${name}/env.yaml`;

describe("<svc>:scale refusals", () => {
  it("refuses on the native runtime and says why", async () => {
    const run = await ops("local", ["redis:scale", "2"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("redis:scale needs the compose runtime");
  });

  it("refuses a stateful service with the volume that makes it so", async () => {
    const run = await ops(fixture("valid"), ["postgres:scale", "2"], {
      env: { HAILMARY_FIXTURE_PASSWORD: "x" },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'refusing to scale postgres: it keeps its data in the volume "postgres_data"',
    );
    expect(run.stderr).toContain("scale the stateless services instead (web)");
  });

  it("refuses a second replica of a service that publishes a fixed host port", async () => {
    const run = await ops(fixture("production_port"), ["web:scale", "3", "--force"], {
      env: { HAILMARY_FIXTURE_PASSWORD: "x" },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("publishes the fixed host port 80");
  });
});
