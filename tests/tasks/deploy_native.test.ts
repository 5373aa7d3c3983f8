/**
 * `web:deploy` on the native runtime: a new web process starts beside the
 * running one on the same port (SO_REUSEPORT), the old one stops once the new
 * one is healthy, and a client polling web all the while (one retry allowed)
 * sees no failure. A new process that cannot become healthy (its environment
 * now names an OpenSearch that does not answer) is stopped and the old one
 * keeps serving. Web runs against the shared stack's three stores.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { copyEnvironment, type EnvCopy } from "../helpers/data_env.ts";
import { sharedStackEnv } from "../helpers/shared_stack.ts";
import { freePort, ops, opsOk } from "../helpers/test_stack.ts";

interface ReleaseJson {
  service: string;
  action: string;
  version: string;
  runtime: string;
  outcome: string;
  detail?: string;
  previousVersion?: string;
}

let env: EnvCopy;
let webPort: number;

async function webPid(): Promise<number> {
  const status = JSON.parse((await opsOk(env.file, ["status", "--json"])).stdout) as {
    services: { name: string; pid: number | null; healthy: boolean }[];
  };
  const web = status.services.find((s) => s.name === "web")!;
  expect(web.healthy).toBe(true);
  return web.pid!;
}

/** Whether a process runs (a zombie waiting for its parent to reap it does not). */
function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

/** Polls web's health and search page until stopped; a request may be retried once. */
function pollWeb(): { stop: () => Promise<{ requests: number; failed: string[] }> } {
  let running = true;
  let requests = 0;
  const failed: string[] = [];
  const once = async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${webPort}${path}`, {
      signal: AbortSignal.timeout(5000),
    });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`HTTP ${response.status} for ${path}`);
  };
  const loop = (async () => {
    while (running) {
      const path = requests % 2 ? "/" : "/health";
      requests++;
      try {
        await once(path);
      } catch {
        try {
          await once(path);
        } catch (error) {
          failed.push(`${path}: ${error instanceof Error ? error.message : error}`);
        }
      }
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { requests, failed };
    },
  };
}

beforeAll(async () => {
  env = await copyEnvironment(sharedStackEnv(), "deploy");
  webPort = freePort();
  env.config.services.web = { port: webPort };
  await Deno.writeTextFile(env.file, stringify(env.config));
  await opsOk(env.file, ["web:start"]);
});

afterAll(async () => {
  if (!env) return;
  await ops(env.file, ["web:stop"]);
  await Deno.remove(`${env.config.stateDir}/releases.ndjson`).catch(() => {});
  await env.remove();
});

describe("web:deploy on the native runtime", () => {
  it("replaces the web process on its port while a polling client sees no failure", async () => {
    const before = await webPid();
    const poller = pollWeb();
    await new Promise((r) => setTimeout(r, 500));
    const run = await opsOk(env.file, ["web:deploy", "--json"]);
    await new Promise((r) => setTimeout(r, 500));
    const { requests, failed } = await poller.stop();
    const result = JSON.parse(run.stdout) as { releases: ReleaseJson[] };
    expect(result.releases).toHaveLength(1);
    expect(result.releases[0]).toMatchObject({
      service: "web",
      action: "deploy",
      runtime: "native",
      outcome: "succeeded",
    });
    expect(result.releases[0]!.version).toMatch(/^[0-9a-f]{12}(-dirty)?$/);
    expect(failed).toEqual([]);
    expect(requests).toBeGreaterThan(20);
    const after = await webPid();
    expect(after).not.toBe(before);
    expect(alive(before)).toBe(false);
  }, 180_000);

  it("stops a new process that does not become healthy and keeps the old one serving", async () => {
    const before = await webPid();
    const good = stringify(env.config);
    // the new process reads the environment as it is now: an OpenSearch nobody answers on
    const broken = structuredClone(env.config);
    broken.services.opensearch = { ...broken.services.opensearch, port: freePort() };
    await Deno.writeTextFile(env.file, stringify(broken));
    const poller = pollWeb();
    let run;
    try {
      run = await ops(env.file, ["web:deploy", "--timeout", "8", "--json"]);
    } finally {
      await Deno.writeTextFile(env.file, good);
    }
    const { requests, failed } = await poller.stop();
    expect(run.code, run.stderr).toBe(1);
    const release = (JSON.parse(run.stdout) as { releases: ReleaseJson[] }).releases[0]!;
    expect(release.outcome).toBe("failed");
    expect(release.detail).toContain("did not become healthy within 8 s");
    expect(release.detail).toContain("the old one keeps serving");
    expect(failed).toEqual([]);
    expect(requests).toBeGreaterThan(5);
    expect(await webPid()).toBe(before);
  }, 180_000);

  it("refuses a second deploy of web while one runs (exit 75), naming it", async () => {
    const good = stringify(env.config);
    const broken = structuredClone(env.config);
    broken.services.opensearch = { ...broken.services.opensearch, port: freePort() };
    await Deno.writeTextFile(env.file, stringify(broken));
    const lock = `${env.config.stateDir}/run/deploy-web.lock`;
    const first = ops(env.file, ["web:deploy", "--timeout", "8"]);
    try {
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && !(await Deno.stat(lock).catch(() => undefined))) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const second = await ops(env.file, ["deploy", "web"]);
      expect(second.code, second.stderr).toBe(75);
      expect(second.stderr).toContain("a deploy of web is running");
    } finally {
      expect((await first).code).toBe(1);
      await Deno.writeTextFile(env.file, good);
    }
    expect(await Deno.stat(lock).catch(() => undefined)).toBeUndefined();
  }, 180_000);

  it("lists the releases, oldest first, with their outcome", async () => {
    const listed = JSON.parse((await opsOk(env.file, ["releases", "web", "--json"])).stdout) as {
      releases: ReleaseJson[];
    };
    expect(listed.releases.map((r) => [r.service, r.action, r.outcome])).toEqual([
      ["web", "deploy", "succeeded"],
      ["web", "deploy", "failed"],
      ["web", "deploy", "failed"],
    ]);
    expect(listed.releases[1]!.previousVersion).toBe(listed.releases[0]!.version);
    const text = (await opsOk(env.file, ["releases"])).stdout;
    expect(text).toMatch(/started\s+service\s+action\s+version\s+runtime\s+took\s+outcome/);
  });

  it("refuses a rollback on the native runtime with the way to do it (exit 2)", async () => {
    const run = await ops(env.file, ["rollback", "web"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("check out the earlier commit");
  });
});
