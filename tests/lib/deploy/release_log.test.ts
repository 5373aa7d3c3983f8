/**
 * The releases record: one JSON document a line in the environment's state
 * folder, read oldest first; a line a crash cut short is left out, and the
 * current release of a service is its newest that succeeded.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import type { Environment } from "../../../lib/config/mod.ts";
import {
  currentRelease,
  readReleases,
  recordRelease,
  type Release,
  releasesFile,
} from "../../../lib/deploy/release_log.ts";

let dir = "";
let environment: Environment;

function release(service: string, version: string, outcome: Release["outcome"]): Release {
  return {
    id: `20261129T0${version.length}0000Z-abcdef`,
    service,
    environment: "test",
    runtime: "compose",
    action: "deploy",
    version,
    startedAt: "2026-11-29T00:00:00.000Z",
    finishedAt: "2026-11-29T00:00:01.000Z",
    durationMs: 1000,
    outcome,
  };
}

beforeAll(async () => {
  dir = await Deno.makeTempDir({ prefix: "hailmary-releases-" });
  environment = { name: "test", stateDir: join(dir, "state") } as Environment;
});

afterAll(async () => {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
});

describe("the releases record", () => {
  it("is empty before the first deploy", async () => {
    expect(await readReleases(environment)).toEqual([]);
  });

  it("reads releases oldest first and leaves out a line cut short", async () => {
    await recordRelease(environment, release("web", "aaa", "succeeded"));
    await recordRelease(environment, release("ingestor", "bbb", "succeeded"));
    await recordRelease(environment, release("web", "ccc", "failed"));
    await Deno.writeTextFile(releasesFile(environment), '{"id":"torn', { append: true });
    const releases = await readReleases(environment);
    expect(releases.map((r) => [r.service, r.version])).toEqual([
      ["web", "aaa"],
      ["ingestor", "bbb"],
      ["web", "ccc"],
    ]);
    expect(releasesFile(environment)).toBe(join(dir, "state", "releases.ndjson"));
  });

  it("ends a line cut short before it records the next release", async () => {
    await recordRelease(environment, release("redis", "dddd", "succeeded"));
    const releases = await readReleases(environment);
    expect(releases.map((r) => r.version)).toEqual(["aaa", "bbb", "ccc", "dddd"]);
  });

  it("takes a service's newest succeeded release as its current one", async () => {
    const releases = await readReleases(environment);
    expect(currentRelease(releases, "web")?.version).toBe("aaa");
    expect(currentRelease(releases, "ingestor")?.version).toBe("bbb");
    expect(currentRelease(releases, "redis")?.version).toBe("dddd");
    expect(currentRelease(releases, "opensearch")).toBeUndefined();
  });
});
