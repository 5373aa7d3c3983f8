import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadEnvironment } from "../../../lib/config/mod.ts";
import type { Environment } from "../../../lib/config/mod.ts";
import {
  httpProbe,
  opensearchProbe,
  postgresProbe,
  redisProbe,
  tcpProbe,
} from "../../../lib/probes/mod.ts";
import { freePort } from "../../helpers/test_stack.ts";
import { sharedStackEnv } from "../../helpers/shared_stack.ts";

let env: Environment;
const port = (name: string) => env.services.find((s) => s.definition.name === name)!.port!;
const signal = () => AbortSignal.timeout(10_000);

// A server that accepts connections and never answers: the only way to see a probe time out for real.
let silent: Deno.TcpListener;
const held: Deno.Conn[] = [];

beforeAll(async () => {
  env = await loadEnvironment(sharedStackEnv());
  silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const conn of silent) held.push(conn);
  })().catch(() => {});
});
afterAll(() => {
  held.forEach((c) => c.close());
  silent.close();
});

describe("probes against real servers", () => {
  it("postgres: accepting connections", async () => {
    const result = await postgresProbe("127.0.0.1", port("postgres"), "app", "app")(signal());
    expect(result).toMatchObject({ healthy: true, detail: "accepting connections" });
    expect(result.latencyMs).toBeGreaterThan(0);
  });

  it("redis: PONG with the right password, unhealthy with a wrong one", async () => {
    const password = env.services.find((s) => s.definition.name === "redis")!.secrets.password;
    expect(await redisProbe("127.0.0.1", port("redis"), password)(signal())).toMatchObject({
      healthy: true,
      detail: "PONG",
    });
    expect(await redisProbe("127.0.0.1", port("redis"), "wrong-password")(signal())).toMatchObject({
      healthy: false,
      detail: "authentication failed",
    });
  });

  it("opensearch: reports the cluster colour", async () => {
    const result = await opensearchProbe(`http://127.0.0.1:${port("opensearch")}`)(signal());
    expect(result.healthy).toBe(true);
    expect(result.detail).toMatch(/^cluster (green|yellow)$/);
  });

  it("http: healthy on 2xx, unhealthy on 404", async () => {
    const base = `http://127.0.0.1:${port("opensearch")}`;
    expect((await httpProbe(`${base}/`)(signal())).healthy).toBe(true);
    expect(await httpProbe(`${base}/no-such-index-xyz`)(signal())).toMatchObject({
      healthy: false,
      detail: "HTTP 404",
    });
  });

  it("tcp: open port healthy, closed port refused", async () => {
    expect((await tcpProbe("127.0.0.1", port("postgres"))(signal())).healthy).toBe(true);
    expect(await tcpProbe("127.0.0.1", freePort())(signal())).toMatchObject({
      healthy: false,
      detail: "connection refused",
    });
  });

  it("every probe gives up after its timeout on a server that never answers", async () => {
    const silentPort = (silent.addr as Deno.NetAddr).port;
    const started = performance.now();
    const results = await Promise.all([
      postgresProbe("127.0.0.1", silentPort, "app", "app", 300)(signal()),
      redisProbe("127.0.0.1", silentPort, undefined, 300)(signal()),
      opensearchProbe(`http://127.0.0.1:${silentPort}`, 300)(signal()),
    ]);
    expect(performance.now() - started).toBeLessThan(3000);
    for (const r of results) {
      expect(r).toMatchObject({ healthy: false, detail: "no answer within 300 ms" });
    }
  });
});
