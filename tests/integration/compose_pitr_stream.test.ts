/**
 * Point-in-time recovery in stream mode with synchronous commits on the
 * compose runtime, on a real Docker Engine: PostgreSQL alone in a container of
 * its own project, whose entrypoint runs pg_receivewal beside the server (as
 * postgres, into the mounted WAL archive) and keeps it running; after
 * `docker kill` and the loss of the data folder under a write load,
 * `postgres:restore --latest` brings back every acknowledged commit.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import postgres from "postgres";
import { freePort, ops, opsOk } from "../helpers/test_stack.ts";
import { dockerText } from "../helpers/docker_text.ts";
import { containerSql } from "../helpers/container_sql.ts";
import { postgresComposeEnvironment } from "../helpers/postgres_compose_environment.ts";

const id = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const project = `hailmary-pitr-stream-${id}`;
const container = `${project}-postgres-1`;
// an image tag of its own: other suites rebuild `latest` from other checkouts
const imageTag = `pitr-stream-it-${id}`;
const password = "pitr-stream-pg-Secret-1";
const secrets = { HAILMARY_PITR_STREAM_IT_PASSWORD: password, HAILMARY_IMAGE_TAG: imageTag };
const port = freePort();
let dir = "";
let file = "";
let socket = "";
let archive = "";

const sql = (text: string) => containerSql({ container, socket, port }, text);
const run = (args: string[]) => opsOk(file, args, 0, { env: secrets, timeoutMs: 600_000 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A process in the container, read from its /proc (the image has no ps). */
interface ContainerProcess {
  pid: number;
  comm: string;
  session: number;
  user: string;
  args: string;
}

const listProcesses = [
  "for p in /proc/[0-9]*; do",
  '  set -- $(cat "$p/stat" 2>/dev/null)',
  '  [ -n "${6-}" ] || continue',
  `  echo "\${p#/proc/}|$2|$6|$(stat -c %U "$p" 2>/dev/null)|$(tr '\\0' ' ' <"$p/cmdline" 2>/dev/null)"`,
  "done",
  "true",
].join("\n");

async function processes(): Promise<ContainerProcess[]> {
  const out = await dockerText(["exec", container, "sh", "-c", listProcesses]);
  return out.split("\n").filter((l) => l).map((l) => {
    const [pid = "", comm = "", session = "", user = "", ...args] = l.split("|");
    return {
      pid: Number(pid),
      comm: comm.replace(/^\(|\)$/g, ""),
      session: Number(session),
      user,
      args: args.join("|"),
    };
  });
}

/** pg_receivewal streaming into the archive (not its short --create-slot run). */
const streaming = (all: ContainerProcess[]) =>
  all.filter((p) => p.comm === "pg_receivewal" && p.args.includes(" -D "));

/** wal_receiver.sh's loop: the leader of the receiver's own session. */
const receiverLoop = (all: ContainerProcess[]) =>
  all.find((p) => p.comm === "wal_receiver.sh" && p.session === p.pid);

/** Polls `find` every 200 ms until it returns something, for up to `ms`. */
async function waitFor<T>(what: string, find: () => Promise<T | undefined>, ms: number) {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(200)) {
    const found = await find().catch(() => undefined);
    if (found !== undefined) return found;
  }
  throw new Error(`${what} within ${ms} ms`);
}

/** Waits until the receiver is attached as the synchronous standby. */
const waitSynchronous = () =>
  waitFor("the WAL receiver attached as the synchronous standby", async () => {
    const rows = await sql(
      "select sync_state from pg_stat_replication where application_name = 'hailmary_wal'",
    );
    return rows[0]?.[0] === "sync" ? true : undefined;
  }, 30_000);

describe("point-in-time recovery in stream mode on the compose runtime", () => {
  beforeAll(async () => {
    ({ dir, file, socket, archive } = await postgresComposeEnvironment({
      prefix: "hailmary-compose-stream-",
      name: `pitr-stream-${id}`,
      project,
      port,
      passwordVariable: "HAILMARY_PITR_STREAM_IT_PASSWORD",
      pitr: { mode: "stream", synchronous: true },
    }));
    const validated = await ops(file, ["config:validate", file, "--renderer", "builtin"], {
      env: secrets,
    });
    expect(validated.code, validated.stdout + validated.stderr).toBe(0);
    await opsOk(file, ["setup"], 0, { env: secrets, timeoutMs: 1_800_000 });
    await run(["postgres:start"]);
  }, 1_800_000);

  afterAll(async () => {
    if (!file) return;
    // the entrypoint and the server log to stderr (a failed test leaves the container)
    const logs = await new Deno.Command("docker", { args: ["logs", "--tail", "30", container] })
      .output().catch(() => undefined);
    if (logs?.success) {
      console.log(`last lines of ${container}:\n${new TextDecoder().decode(logs.stderr)}`);
    }
    await ops(file, ["cleanup", "--leftovers", "--yes"], { env: secrets }).catch(() => {});
    await ops(file, ["down"], { env: secrets }).catch(() => {});
    await dockerText(["rm", "-f", container]).catch(() => "");
    await dockerText(["volume", "rm", "-f", `${project}_postgres_data`]).catch(() => "");
    await dockerText(["network", "rm", `${project}_hailmary`]).catch(() => "");
    await dockerText(["image", "rm", `hailmary/postgres:${imageTag}`]).catch(() => "");
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }, 300_000);

  it(
    "runs pg_receivewal in the container as postgres and starts it again when it dies",
    async () => {
      await waitSynchronous();
      const [first, ...more] = streaming(await processes());
      expect(more).toEqual([]);
      expect(first).toMatchObject({ user: "postgres" });
      expect(first!.args).toContain(archive);
      expect(first!.args).toContain("--synchronous");
      const killedAt = Date.now();
      await dockerText(["exec", container, "sh", "-c", `kill -9 ${first!.pid}`]);
      await waitFor("a new pg_receivewal", async () => {
        const now = streaming(await processes());
        return now.length === 1 && now[0]!.pid !== first!.pid ? now[0] : undefined;
      }, 10_000);
      console.log(`a new pg_receivewal ${Date.now() - killedAt} ms after kill -9`);
      await waitSynchronous();
      // the loop itself gone: the entrypoint starts it (and so a receiver) again
      const loop = receiverLoop(await processes());
      expect(loop?.user).toBe("postgres");
      await dockerText(["exec", container, "sh", "-c", `kill -9 ${loop!.pid}`]);
      await waitFor("a new receiver loop and one pg_receivewal", async () => {
        const now = await processes();
        const again = receiverLoop(now);
        return again && again.pid !== loop!.pid && streaming(now).length === 1 ? again : undefined;
      }, 15_000);
      await waitSynchronous();
      await sql("create table t (n int); insert into t values (1)");
      expect(await sql("select count(*) from t")).toEqual([["1"]]);
    },
    120_000,
  );

  it("loses no acknowledged commit after docker kill and the loss of the data folder", async () => {
    const client = postgres({
      host: "127.0.0.1",
      port,
      user: "app",
      database: "app",
      password,
      max: 1,
      connect_timeout: 10,
      onnotice: () => {},
    });
    await client`create table acked (n int)`;
    await run(["postgres:backup", "--physical"]);
    const acked: number[] = [];
    let stop = false;
    const writer = (async () => {
      for (let n = 0; !stop; n++) {
        const ok = await client`insert into acked values (${n})`.then(() => true, () => false);
        if (!ok) break;
        acked.push(n);
      }
    })();
    await sleep(4000);
    await dockerText(["kill", container]);
    stop = true;
    // a connection into a killed container may never answer: end it
    await Promise.race([writer, sleep(5000)]);
    await client.end({ timeout: 1 }).catch(() => {});
    await writer;
    await Deno.remove(join(dir, "state", "postgres", "data"), { recursive: true });
    const restored = JSON.parse(
      (await run(["postgres:restore", "--latest", "--yes", "--json"])).stdout,
    );
    console.log(`compose stream restore: ${restored.durationMs} ms`);
    expect(restored).toMatchObject({ mode: "in-place", safetyCopy: null });
    const back = new Set((await sql("select n from acked")).map(([n]) => Number(n)));
    expect(acked.length).toBeGreaterThan(10);
    expect(acked.filter((n) => !back.has(n))).toEqual([]);
    console.log(`compose stream + synchronous, docker kill: ${acked.length} acknowledged, 0 lost`);
    // the receiver follows the restored server's new timeline: commits go on
    await waitSynchronous();
    await sql("insert into acked values (-1)");
    await sql("select pg_switch_wal()");
    const window = JSON.parse((await run(["postgres:recovery-window", "--json"])).stdout);
    expect(window.gaps).toEqual([]);
  }, 300_000);

  it("stops on docker stop well within its grace period: SIGINT reaches the server", async () => {
    const began = Date.now();
    await run(["postgres:stop"]);
    // a signal PID 1 did not hand on would wait out stop_grace_period (30 s), then SIGKILL
    expect(Date.now() - began).toBeLessThan(15_000);
    expect(await dockerText(["ps", "-a", "-q", "--filter", `name=^${container}$`])).toBe("");
  }, 60_000);
});
