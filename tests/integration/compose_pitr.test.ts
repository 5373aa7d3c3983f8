/**
 * Point-in-time recovery on the compose runtime, on a real Docker Engine:
 * PostgreSQL alone in a container of its own project (archive mode, the WAL
 * archive in the mounted backup folder), base backups taken through the
 * container, and restores whose recovering server runs in a one-off container
 * of the service's image: to a time between batches, to one second before a
 * drop, and beside the live server on a published port. `./ops setup` builds
 * the postgres image when it is missing (the layer cache keeps it quick).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { freePort, ops, processesMentioning, root } from "../helpers/test_stack.ts";
import { archiveNow as archiveSegment, exists, tick } from "../helpers/wal_archive.ts";
import { type ContainerServer, containerSql } from "../helpers/container_sql.ts";
import { postgresComposeEnvironment } from "../helpers/postgres_compose_environment.ts";

const project = `hailmary-pitr-${Date.now().toString(36)}`;
const container = `${project}-postgres-1`;
// an image tag of its own: other suites rebuild `latest` from other checkouts
const imageTag = `pitr-it-${Date.now().toString(36)}`;
const secrets = { HAILMARY_PITR_IT_PASSWORD: "pitr-pg-Secret-1", HAILMARY_IMAGE_TAG: imageTag };
const port = freePort();
let dir = "";
let file = "";
let socket = "";
let archive = "";

async function docker(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command("docker", {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code,
    stdout: new TextDecoder().decode(stdout),
    stderr: new TextDecoder().decode(stderr),
  };
}

/** SQL as the superuser in a container (psql of the image, over the socket folder); rows as fields. */
const sql = (text: string, where: ContainerServer = { container, socket, port }) =>
  containerSql(where, text);

async function opsJson<T>(args: string[], expected = 0): Promise<T> {
  const run = await ops(file, [...args, "--json"], { env: secrets, timeoutMs: 600_000 });
  if (run.code !== expected) {
    throw new Error(`ops ${args.join(" ")} exited ${run.code}:\n${run.stderr}\n${run.stdout}`);
  }
  return JSON.parse(run.stdout) as T;
}

/** Forces the current WAL segment into the archive (the container's archive_command) and waits for it. */
const archiveNow = () => archiveSegment((text) => sql(text), archive, 150);

interface RestoreJson {
  durationMs: number;
  mode: string;
  baseBackupId: string;
  timeline: number;
  safetyCopy: string | null;
  dataDir: string;
  port: number;
  container: string | null;
}

describe("point-in-time recovery on the compose runtime", () => {
  beforeAll(async () => {
    ({ dir, file, socket, archive } = await postgresComposeEnvironment({
      prefix: "hailmary-compose-pitr-",
      name: "pitr-it",
      project,
      port,
      passwordVariable: "HAILMARY_PITR_IT_PASSWORD",
      pitr: { mode: "archive", archiveTimeout: 2 },
    }));
    const setup = await ops(file, ["setup"], { env: secrets, timeoutMs: 1_800_000 });
    if (setup.code !== 0) throw new Error(`setup failed:\n${setup.stderr}\n${setup.stdout}`);
    const start = await ops(file, ["postgres:start"], { env: secrets, timeoutMs: 600_000 });
    if (start.code !== 0) throw new Error(`start failed:\n${start.stderr}\n${start.stdout}`);
  }, 1_800_000);

  afterAll(async () => {
    if (!file) return;
    const logs = await docker(["logs", "--tail", "30", container]);
    console.log(`last lines of ${container}:\n${logs.stdout}${logs.stderr}`);
    await ops(file, ["down"], { env: secrets }).catch(() => {});
    await docker(["volume", "rm", "-f", `${project}_postgres_data`]);
    await docker(["image", "rm", `hailmary/postgres:${imageTag}`]);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }, 300_000);

  let baseId = "";
  const marks: string[] = [];

  it(
    "takes a base backup through the container, checked with pg_verifybackup, and sees the archive",
    async () => {
      await sql("create table batches (batch int, n int)");
      await sql("create table probe as select g from generate_series(1, 7) g");
      const base = await opsJson<{ id: string; kind: string; verified: boolean; timeline: number }>(
        ["postgres:backup", "--physical"],
      );
      expect(base).toMatchObject({ kind: "physical", verified: true, timeline: 1 });
      baseId = base.id;
      await sql("create table window_probe (n int)");
      await archiveNow();
      const window = await opsJson<{ gaps: unknown[]; from: string; to: string }>(
        ["postgres:recovery-window"],
      );
      expect(window.gaps).toEqual([]);
      expect(Date.parse(window.from)).toBeLessThanOrEqual(Date.parse(window.to));
      const verify = await opsJson<{ ok: boolean }>(["postgres:verify", "--wal"]);
      expect(verify.ok).toBe(true);
      // the restore test replays the base backup in a one-off container and counts its rows
      const tested = await opsJson<{ ok: boolean; restoreTest: { ok: boolean; rows: number } }>(
        ["postgres:verify", baseId, "--restore-test"],
      );
      expect(tested.ok).toBe(true);
      expect(tested.restoreTest.ok).toBe(true);
      expect(tested.restoreTest.rows).toBeGreaterThanOrEqual(7);
    },
    300_000,
  );

  it(
    "--to-time between two batches brings back exactly the earlier batches, then takes writes",
    async () => {
      for (let batch = 1; batch <= 3; batch++) {
        await sql(`insert into batches select ${batch}, g from generate_series(1, 100) g`);
        await tick();
        marks.push(new Date().toISOString());
        await tick();
      }
      await archiveNow();
      const restored = await opsJson<RestoreJson>(
        ["postgres:restore", "--to-time", marks[1]!, "--yes"],
      );
      console.log(`compose restore ${restored.mode}: ${restored.durationMs} ms`);
      expect(restored).toMatchObject({ mode: "in-place", baseBackupId: baseId, timeline: 2 });
      expect(await sql("select batch, count(*) from batches group by 1 order by 1")).toEqual([
        ["1", "100"],
        ["2", "100"],
      ]);
      expect(restored.safetyCopy).toMatch(/data\.before-restore-/);
      expect(await exists(join(restored.safetyCopy!, "PG_VERSION"))).toBe(true);
      // the service's container runs on the restored folder, which its image's user owns
      const data = await Deno.stat(join(dir, "state", "postgres", "data"));
      expect(data.uid).not.toBe(0);
      await sql("insert into batches values (9, 1)");
      await archiveNow();
      expect(await exists(join(archive, "00000002.history"))).toBe(true);
      // nothing of the recovery is left: no scratch folder, no one-off container
      const state = (await Array.fromAsync(Deno.readDir(join(dir, "state", "postgres"))))
        .map((e) => e.name);
      expect(state).not.toContainEqual(expect.stringMatching(/^pitr-restore-/));
      const left = await docker(["ps", "-a", "--filter", "name=hailmary-pitr-pitr-restore-", "-q"]);
      expect(left.stdout.trim()).toBe("");
    },
    600_000,
  );

  it("brings a dropped table back with --to-time one second before the drop", async () => {
    await sql("create table precious as select g from generate_series(1, 500) g");
    await tick();
    await tick();
    const beforeDrop = new Date(Date.now() - 1000).toISOString();
    await sql("drop table precious");
    await archiveNow();
    await opsJson<RestoreJson>(["postgres:restore", "--to-time", beforeDrop, "--yes"]);
    expect(await sql("select count(*) from precious")).toEqual([["500"]]);
    expect(await sql("select count(*) from batches")).toEqual([["201"]]);
  }, 600_000);

  it(
    "restores beside the live server in a container on a loopback port, live data unchanged",
    async () => {
      await sql("insert into batches select 10, g from generate_series(1, 50) g");
      const [[lsn = ""] = []] = await sql("select pg_current_wal_lsn()");
      await sql("insert into batches select 11, g from generate_series(1, 50) g");
      const liveBefore = await sql("select batch, count(*) from batches group by 1 order by 1");
      const target = join(dir, "beside");
      const besidePort = freePort();
      const restored = await opsJson<RestoreJson>([
        "postgres:restore",
        "--to-lsn",
        lsn,
        "--port",
        String(besidePort),
        "--target-dir",
        target,
      ]);
      try {
        console.log(`compose restore ${restored.mode}: ${restored.durationMs} ms`);
        expect(restored.mode).toBe("beside");
        expect(restored.container).toMatch(/^hailmary-pitr-/);
        // psql in the recovered server's container, over its socket there
        const where = { container: restored.container!, socket: "/tmp", port: besidePort };
        expect(await sql("select count(*) from batches where batch = 10", where)).toEqual([["50"]]);
        expect(await sql("select count(*) from batches where batch = 11", where)).toEqual([["0"]]);
        // published on this host's loopback
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: besidePort });
        conn.close();
        expect(await sql("select batch, count(*) from batches group by 1 order by 1")).toEqual(
          liveBefore,
        );
      } finally {
        if (restored.container) await docker(["stop", restored.container]);
      }
    },
    600_000,
  );

  it(
    "an interrupted restore leaves its folder and container, which cleanup --leftovers removes",
    async () => {
      const state = join(dir, "state", "postgres");
      const before = await sql("select count(*) from batches");
      const child = new Deno.Command(join(root, "ops"), {
        args: ["postgres:restore", "--latest", "--yes", "--env", file],
        cwd: root,
        env: secrets,
        stdout: "null",
        stderr: "null",
      }).spawn();
      let running = "";
      for (let i = 0; i < 600 && !running; i++) {
        running = (await docker(["ps", "--quiet", "--filter", "name=hailmary-pitr-pitr-restore-"]))
          .stdout.trim();
      }
      expect(running).not.toBe("");
      // kill -9 of the task itself (the process that owns the folder), not of ./ops
      const task = (await processesMentioning(`postgres:restore --latest --yes --env ${file}`))
        .map((l) => Number(l.trim().split(/\s+/)[0]))
        .filter((pid) => pid !== child.pid);
      for (const pid of task.length ? task : [child.pid]) {
        await new Deno.Command("kill", { args: ["-KILL", String(pid)] }).output();
      }
      await child.status;
      const scratch = (await Array.fromAsync(Deno.readDir(state))).map((e) => e.name)
        .find((n) => n.startsWith("pitr-restore-"));
      expect(scratch).toBeDefined();
      const cleaned = await opsJson<{ removed: { name: string }[] }>(
        ["cleanup", "--leftovers", "--yes"],
      );
      expect(cleaned.removed.map((r) => r.name)).toContain(scratch);
      expect(await exists(join(state, scratch!))).toBe(false);
      const left = await docker(["ps", "--all", "--quiet", "--filter", `id=${running}`]);
      expect(left.stdout.trim()).toBe("");
      expect(await sql("select count(*) from batches")).toEqual(before);
    },
    600_000,
  );

  it(
    "the data folder lost and the container killed: --latest brings back every archived row",
    async () => {
      await sql("insert into batches select 40, g from generate_series(1, 25) g");
      const expected = await sql("select batch, count(*) from batches group by 1 order by 1");
      await archiveNow();
      const data = join(dir, "state", "postgres", "data");
      await Deno.remove(data, { recursive: true });
      expect((await docker(["kill", container])).code).toBe(0);
      const restored = await opsJson<RestoreJson>(["postgres:restore", "--latest", "--yes"]);
      console.log(`compose restore ${restored.mode}: ${restored.durationMs} ms`);
      expect(restored.mode).toBe("in-place");
      expect(restored.safetyCopy).toBeNull();
      expect(await sql("select batch, count(*) from batches group by 1 order by 1")).toEqual(
        expected,
      );
      expect(await exists(join(data, "PG_VERSION"))).toBe(true);
    },
    600_000,
  );
});
