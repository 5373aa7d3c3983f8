import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lastBackups } from "../../../lib/stack/last_backups.ts";
import { logLineTime } from "../../../lib/stack/log_stream.ts";
import { ProcessSampler } from "../../../lib/stack/process_metrics.ts";

let dir: string;
beforeAll(async () => {
  dir = await Deno.makeTempDir({ prefix: "stack-figures-" });
});
afterAll(async () => {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
});

async function writeManifest(path: string, manifest: Record<string, unknown>) {
  await Deno.mkdir(path, { recursive: true });
  await Deno.writeTextFile(join(path, "manifest.json"), JSON.stringify(manifest));
}

describe("lastBackups", () => {
  it("reads the newest finished backup of each service from the catalog's manifests", async () => {
    const backups = join(dir, "backups");
    await writeManifest(join(backups, "redis", "20260101T000000Z-aaaaaa"), {
      finishedAt: "2026-01-01T00:00:05.000Z",
    });
    await writeManifest(join(backups, "redis", "20260102T000000Z-bbbbbb"), {
      finishedAt: "2026-01-02T00:00:09.000Z",
    });
    // an unfinished backup (no manifest) and a temp folder do not count
    await Deno.mkdir(join(backups, "redis", "20260103T000000Z-cccccc"), { recursive: true });
    await writeManifest(join(backups, "redis", ".tmp-20260104T000000Z-dddddd"), {
      finishedAt: "2026-01-04T00:00:00.000Z",
    });
    const found = await lastBackups(backups, ["redis", "postgres"]);
    expect(found.get("redis")).toBe("2026-01-02T00:00:09.000Z");
    expect(found.get("postgres")).toBeNull();
  });

  it("tolerates a missing catalog", async () => {
    const found = await lastBackups(join(dir, "no-such-folder"), ["redis"]);
    expect(found.get("redis")).toBeNull();
  });
});

describe("ProcessSampler", () => {
  it("measures the CPU and memory of a service's whole session between two samples", async () => {
    // a busy process in its own session, as the native runtime starts services
    const child = new Deno.Command("setsid", {
      args: ["sh", "-c", "exec yes > /dev/null"],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      const sampler = new ProcessSampler();
      const first = await sampler.sample([child.pid]);
      expect(first.get(child.pid)?.cpuPercent).toBeNull();
      await new Promise((r) => setTimeout(r, 1500));
      const second = (await sampler.sample([child.pid])).get(child.pid)!;
      expect(second.cpuPercent).toBeGreaterThan(20);
      expect(second.cpuPercent).toBeLessThan(120);
      expect(second.memoryKb).toBeGreaterThan(0);
      expect((await sampler.sample([999_999_9])).size).toBe(0);
    } finally {
      child.kill("SIGKILL");
      await child.status;
    }
  });
});

describe("logLineTime", () => {
  it("reads the time of PostgreSQL, OpenSearch and Redis log lines", () => {
    expect(logLineTime("2026-11-22 03:12:05.555 UTC [13884] LOG:  ready")).toBe(
      Date.UTC(2026, 10, 22, 3, 12, 5, 555),
    );
    expect(logLineTime("[2026-11-22T03:12:05,123][INFO ][o.o.n.Node] started")).toBe(
      Date.UTC(2026, 10, 22, 3, 12, 5, 123),
    );
    expect(logLineTime("13687:M 22 Nov 2026 03:12:03.823 * Ready")).toBe(
      Date.UTC(2026, 10, 22, 3, 12, 3, 823),
    );
    expect(logLineTime("no time here")).toBeNull();
  });
});
