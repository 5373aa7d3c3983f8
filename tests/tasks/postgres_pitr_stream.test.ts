/**
 * Point-in-time recovery in stream mode with synchronous commits, against a
 * private PostgreSQL: pg_receivewal runs beside the server as its companion,
 * is started again when it dies, and after kill -9 and the loss of the data
 * folder under a write load no acknowledged commit is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "../../lib/posix_path.ts";
import {
  createTestEnvironment,
  killServiceGroup,
  ops,
  opsOk,
  processesMentioning,
  type TestEnvironment,
} from "../helpers/test_stack.ts";

let env: TestEnvironment;
let socket: string;
let archive: string;

async function sql(text: string): Promise<string[][]> {
  const { code, stdout, stderr } = await new Deno.Command("/usr/lib/postgresql/15/bin/psql", {
    args: ["-X", "-A", "-t", "-q", "-F", "|", "-h", socket, "-p", String(env.ports.postgres)]
      .concat(["-U", "postgres", "-d", "app", "-v", "ON_ERROR_STOP=1", "-c", text]),
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(20_000),
  }).output();
  if (code !== 0) throw new Error(`psql: ${new TextDecoder().decode(stderr)}`);
  return new TextDecoder().decode(stdout).split("\n").filter((l) => l).map((l) => l.split("|"));
}

/** The receiver's pids (pg_receivewal streaming into this test's archive). */
async function receivers(): Promise<number[]> {
  return (await processesMentioning(archive))
    .filter((l) => l.includes("pg_receivewal") && l.includes("--synchronous"))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

/** Waits until the receiver is attached as the synchronous standby. */
async function waitSynchronous(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const rows = await sql(
      "select sync_state from pg_stat_replication where application_name = 'hailmary_wal'",
    ).catch(() => []);
    if (rows[0]?.[0] === "sync") return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("the WAL receiver did not attach as the synchronous standby");
}

beforeAll(async () => {
  env = await createTestEnvironment({
    services: ["postgres"],
    settings: { postgres: { pitr: { mode: "stream", synchronous: true } } },
  });
  socket = join(env.stateDir, "postgres", "socket");
  archive = join(env.backupDir, "postgres-wal");
  await opsOk(env.file, ["postgres:start"]);
});

afterAll(async () => {
  await ops(env.file, ["down"]);
  expect(await receivers()).toEqual([]);
  await env.remove();
});

describe("stream mode", () => {
  it("runs pg_receivewal as the synchronous standby and starts it again when it dies", async () => {
    await waitSynchronous();
    const [first] = await receivers();
    expect(first).toBeGreaterThan(0);
    await new Deno.Command("kill", { args: ["-KILL", String(first)] }).output();
    await waitSynchronous();
    const [second] = await receivers();
    expect(second).toBeGreaterThan(0);
    expect(second).not.toBe(first);
    const status = JSON.parse((await opsOk(env.file, ["status", "--json"])).stdout);
    expect(status.services[0].detail).toMatch(/wal-receiver running \(pid \d+\)/);
    await sql("create table t (n int); insert into t values (1)");
    expect(await sql("select count(*) from t")).toEqual([["1"]]);
  });

  it("loses no acknowledged commit after kill -9 and the loss of the data folder", async () => {
    await sql("create table acked (n int)");
    await opsOk(env.file, ["postgres:backup", "--physical"]);
    const acked: number[] = [];
    let stop = false;
    const writer = (async () => {
      for (let n = 0; !stop; n++) {
        const ok = await sql(`insert into acked values (${n})`).then(() => true, () => false);
        if (!ok) break;
        acked.push(n);
      }
    })();
    await new Promise((r) => setTimeout(r, 4000));
    await killServiceGroup(env.stateDir, "postgres");
    stop = true;
    await writer;
    await Deno.remove(join(env.stateDir, "postgres", "data"), { recursive: true });
    const run = await ops(env.file, ["postgres:restore", "--latest", "--yes", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const back = new Set((await sql("select n from acked")).map(([n]) => Number(n)));
    expect(acked.length).toBeGreaterThan(10);
    expect(acked.filter((n) => !back.has(n))).toEqual([]);
    console.log(`stream + synchronous, kill -9: ${acked.length} acknowledged, 0 lost`);
    // the receiver follows the restored server's new timeline: commits go on
    await waitSynchronous();
    await sql("insert into acked values (-1)");
    await sql("select pg_switch_wal()");
    const window = await ops(env.file, ["postgres:recovery-window", "--json"]);
    expect(JSON.parse(window.stdout).gaps).toEqual([]);
  });
});
