import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { isAlive, processStart, readProcStat, sameStart } from "../../../lib/runtime/proc.ts";

const realPs = new TextDecoder().decode(
  new Deno.Command("sh", { args: ["-c", "command -v ps"], stdout: "piped" }).outputSync().stdout,
).trim();

describe("process identity across pid reuse and clock steps", () => {
  it("reads the same boot-clock start of a process twice, a second apart", async () => {
    const first = await processStart(Deno.pid);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const second = await processStart(Deno.pid);
    expect(first?.sinceInit).toBeTypeOf("number");
    expect(Math.abs(first!.sinceInit! - second!.sinceInit!)).toBeLessThanOrEqual(1);
    expect(sameStart((await readProcStat(Deno.pid))!, first!)).toBe(true);
  });

  it("still knows a process after the wall clock moved an hour", async () => {
    const start = (await processStart(Deno.pid))!;
    const stepped = { startedEpoch: start.startedEpoch - 3600, sinceInit: start.sinceInit! };
    expect(await isAlive(Deno.pid, stepped)).toBe(true);
  });

  it("does not take a reused pid for the process that started earlier", async () => {
    const start = (await processStart(Deno.pid))!;
    const earlier = { startedEpoch: start.startedEpoch, sinceInit: start.sinceInit! - 30 };
    expect(await isAlive(Deno.pid, earlier)).toBe(false);
    // records from before boot-clock starts: the wall clock decides, within 5 s
    expect(await isAlive(Deno.pid, { startedEpoch: start.startedEpoch + 3 })).toBe(true);
    expect(await isAlive(Deno.pid, { startedEpoch: start.startedEpoch - 60 })).toBe(false);
  });

  it("sees a child alive while it runs and gone once it exited", async () => {
    const child = new Deno.Command("sleep", { args: ["30"] }).spawn();
    const start = (await processStart(child.pid))!;
    expect(await isAlive(child.pid, start)).toBe(true);
    child.kill("SIGKILL");
    await child.status;
    expect(await isAlive(child.pid, start)).toBe(false);
    expect(await processStart(child.pid)).toBeUndefined();
  });
});

describe("a failed look at the process table", () => {
  async function withFakePs(script: string, fn: () => Promise<void>): Promise<void> {
    // a stand-in `ps` first on PATH: the real one behind it, failing as the script says
    const dir = await Deno.makeTempDir({ prefix: "fake-ps-" });
    await Deno.writeTextFile(join(dir, "ps"), `#!/bin/sh\nmarker="${dir}/failed"\n${script}\n`);
    await Deno.chmod(join(dir, "ps"), 0o755);
    const path = Deno.env.get("PATH") ?? "";
    Deno.env.set("PATH", `${dir}:${path}`);
    try {
      await fn();
    } finally {
      Deno.env.set("PATH", path);
      await Deno.remove(dir, { recursive: true });
    }
  }

  it("is taken again, so a live process does not read as gone", async () => {
    await withFakePs(
      `if [ ! -e "$marker" ]; then : > "$marker"; exit 1; fi\nexec ${realPs} "$@"`,
      async () => {
        expect(await isAlive(Deno.pid)).toBe(true);
      },
    );
  });

  it("fails loudly when ps never gives a reading", async () => {
    await withFakePs("exit 1", async () => {
      await expect(readProcStat(Deno.pid)).rejects.toThrow(/no reading of the process table/);
    });
  });

  it("reads a process ps caught in the instant it started (elapsed time wrapped to ~2^32 s) as just started", async () => {
    // ps computes now - start; for a process created as it read the clock that is -1,
    // printed as 4294967295: the reading must not become a start in the distant past
    await withFakePs(
      `${realPs} "$@" | awk -v me=${Deno.pid} '$1 == me { $5 = 4294967295 } { print }'`,
      async () => {
        const caught = (await readProcStat(Deno.pid))!;
        const init = (await readProcStat(1))!;
        expect(caught.sinceInit).toBeGreaterThanOrEqual(0);
        expect(Math.abs(caught.startedEpoch - Date.now() / 1000)).toBeLessThanOrEqual(2);
        expect(init.sinceInit).toBe(0);
      },
    );
  });
});
