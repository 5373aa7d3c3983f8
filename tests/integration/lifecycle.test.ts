import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import {
  createTestEnvironment,
  ops,
  opsOk,
  processesMentioning,
  type TestEnvironment,
} from "../helpers/test_stack.ts";

interface StatusJson {
  environment: string;
  services: {
    name: string;
    state: string;
    healthy: boolean;
    latencyMs: number | null;
    pid: number | null;
    port: number | null;
    detail: string;
    crashRestarts: number | null;
  }[];
}

let env: TestEnvironment;
const status = async (): Promise<StatusJson> =>
  JSON.parse((await opsOk(env.file, ["status", "--json"])).stdout);
const service = (s: StatusJson, name: string) => s.services.find((x) => x.name === name)!;

beforeAll(async () => {
  env = await createTestEnvironment({ name: "lifecycle" });
});
afterAll(async () => {
  await ops(env.file, ["down"]);
  await env.remove();
});

describe("stack lifecycle on real servers", () => {
  it("brings postgres, redis and opensearch up healthy and reports them in status --json", async () => {
    const up = await opsOk(env.file, ["up", "--json"]);
    expect(JSON.parse(up.stdout).services.map((s: { service: string }) => s.service).sort())
      .toEqual(["opensearch", "postgres", "redis"]);
    const s = await status();
    expect(s.environment).toBe("lifecycle");
    for (const name of ["postgres", "redis", "opensearch"]) {
      expect(service(s, name)).toMatchObject({
        state: "running",
        healthy: true,
        port: env.ports[name],
      });
      expect(service(s, name).pid).toBeGreaterThan(1);
      expect(service(s, name).latencyMs).toBeGreaterThan(0);
    }
    expect((await ops(env.file, ["health"])).code).toBe(0);
  });

  it("is idempotent: a second up changes nothing", async () => {
    const before = await status();
    const again = JSON.parse((await opsOk(env.file, ["up", "--json"])).stdout);
    expect(again.services.every((s: { action: string }) => s.action === "already running")).toBe(
      true,
    );
    expect((await status()).services.map((s) => s.pid)).toEqual(before.services.map((s) => s.pid));
  });

  it("detects a killed process as crashed, fails health, and recovers with redis:start", async () => {
    const pid = service(await status(), "redis").pid!;
    Deno.kill(pid, "SIGKILL");
    for (let i = 0; i < 50 && service(await status(), "redis").state !== "crashed"; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const crashed = await status();
    expect(service(crashed, "redis")).toMatchObject({
      state: "crashed",
      healthy: false,
      pid: null,
    });
    expect(service(crashed, "postgres").healthy).toBe(true);

    const junit = join(env.dir, "health.xml");
    const health = await ops(env.file, ["health", "--junit", junit]);
    expect(health.code).toBe(1);
    expect(health.stdout).toContain("unhealthy redis");
    const xml = await Deno.readTextFile(junit);
    expect(xml).toContain('tests="3" failures="1"');
    expect(xml).toMatch(/name="redis"[^>]*>\s*<failure message="redis is crashed/);

    const start = await opsOk(env.file, ["redis:start"]);
    expect(start.stdout).toContain("redis: restarted after crash");
    const recovered = service(await status(), "redis");
    expect(recovered).toMatchObject({ state: "running", healthy: true, crashRestarts: 1 });
    expect(recovered.pid).not.toBe(pid);
    expect(service(await status(), "postgres").crashRestarts).toBe(0);
    // the exporter reports the runtime's count: an alert on restarts needs no long-running exporter
    const metrics = await opsOk(env.file, ["metrics"]);
    expect(metrics.stdout).toMatch(
      /^hailmary_service_restarts_total\{[^}]*service="redis"[^}]*\} 1$/m,
    );
  });

  it("refuses to start a service whose port another process holds, naming the holder", async () => {
    await opsOk(env.file, ["redis:stop"]);
    const squatter = Deno.listen({ hostname: "127.0.0.1", port: env.ports.redis! });
    try {
      const run = await ops(env.file, ["redis:start"]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(
        `port ${env.ports.redis} for redis is already taken by process ${Deno.pid}`,
      );
      expect(service(await status(), "redis").state).toBe("stopped");
    } finally {
      squatter.close();
    }
    await opsOk(env.file, ["redis:start"]);
  });

  it("treats a pid file whose process is gone as crashed, and stop clears it", async () => {
    await opsOk(env.file, ["redis:stop"]);
    const dead = new Deno.Command("true").spawn();
    await dead.status;
    await Deno.writeTextFile(join(env.stateDir, "redis", "run", "service.pid"), `${dead.pid}\n`);
    expect(service(await status(), "redis")).toMatchObject({ state: "crashed", healthy: false });
    const stop = await opsOk(env.file, ["redis:stop"]);
    expect(stop.stdout).toContain("redis: cleared crashed state");
    expect(service(await status(), "redis").state).toBe("stopped");
    await opsOk(env.file, ["redis:start"]);
  });

  it("validate-deps names a dependency that is down", async () => {
    const ok = await ops(env.file, ["postgres:validate-deps"]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("postgres has no dependencies");
  });

  it("shows the last log lines of a service", async () => {
    const logs = await opsOk(env.file, ["postgres:logs", "--tail", "5", "--json"]);
    const lines = JSON.parse(logs.stdout).lines as string[];
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(5);
    expect(lines.join("\n")).toMatch(/database system is ready to accept connections|LOG:/);
  });

  it("never prints a secret in status, health or logs", async () => {
    const secrets = await Promise.all(
      ["postgres-app-password", "redis-password"].map((f) =>
        Deno.readTextFile(join(env.stateDir, "secrets", f))
      ),
    );
    const outputs = await Promise.all(
      [["status", "--json"], ["health", "--json"], ["redis:logs", "--tail", "200"], [
        "postgres:logs",
        "--tail",
        "200",
      ]].map((a) => ops(env.file, a)),
    );
    for (const secret of secrets.map((s) => s.trim())) {
      expect(secret.length).toBeGreaterThan(10);
      for (const o of outputs) expect(o.stdout + o.stderr).not.toContain(secret);
    }
  });

  it("takes everything down and leaves no process of the stack behind", async () => {
    const down = JSON.parse((await opsOk(env.file, ["down", "--json"])).stdout);
    expect(down.services.map((s: { action: string }) => s.action)).toEqual([
      "stopped",
      "stopped",
      "stopped",
    ]);
    expect(await processesMentioning(env.stateDir)).toEqual([]);
    const s = await status();
    expect(s.services.every((x) => x.state === "stopped" && !x.healthy)).toBe(true);
    expect((await ops(env.file, ["health"])).code).toBe(1);
    const again = JSON.parse((await opsOk(env.file, ["down", "--json"])).stdout);
    expect(again.services.every((s: { action: string }) => s.action === "already stopped")).toBe(
      true,
    );
  });

  it("cleanup asks before removing state: refused without a terminal or --yes, done with --yes", async () => {
    const refused = await ops(env.file, ["cleanup"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("without confirmation");
    await Deno.stat(join(env.stateDir, "postgres", "data", "PG_VERSION"));
    const done = await opsOk(env.file, ["cleanup", "--yes"]);
    expect(done.stdout).toContain("removed the state of opensearch, postgres, redis");
    for (const name of ["postgres", "redis", "opensearch"]) {
      await expect(Deno.stat(join(env.stateDir, name))).rejects.toThrow();
    }
  });
});
