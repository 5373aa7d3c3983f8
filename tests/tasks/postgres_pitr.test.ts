/**
 * Point-in-time recovery in archive mode, against a private PostgreSQL (one
 * per file) that archives into its own catalog: base backups, restores to a
 * time, an LSN and the end of the archive, beside the live server and in its
 * place, a damaged segment and a gap in the archive.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "../../lib/posix_path.ts";
import {
  createTestEnvironment,
  freePort,
  killServiceGroup,
  ops,
  opsOk,
  processesMentioning,
  root,
  type TestEnvironment,
} from "../helpers/test_stack.ts";
import { archiveNow as archiveSegment, exists, tick } from "../helpers/wal_archive.ts";

let env: TestEnvironment;
let socket: string;
let archive: string;

/** Runs SQL as the superuser over the live server's socket; rows as text fields. */
async function sql(text: string, port = env.ports.postgres!, host = socket): Promise<string[][]> {
  const { code, stdout, stderr } = await new Deno.Command(
    "/usr/lib/postgresql/15/bin/psql",
    {
      args: ["-X", "-A", "-t", "-q", "-F", "|", "-h", host, "-p", String(port), "-U", "postgres"]
        .concat(["-d", "app", "-v", "ON_ERROR_STOP=1", "-c", text]),
      stdout: "piped",
      stderr: "piped",
    },
  ).output();
  if (code !== 0) throw new Error(`psql: ${new TextDecoder().decode(stderr)}`);
  return new TextDecoder().decode(stdout).split("\n").filter((l) => l).map((l) => l.split("|"));
}

async function count(table: string, port?: number, host?: string): Promise<number> {
  return Number((await sql(`select count(*) from ${table}`, port, host))[0]![0]);
}

/** Runs a task with --json, failing with its stderr when the exit code differs. */
async function opsJson<T>(args: string[], expected = 0): Promise<T> {
  const run = await ops(env.file, [...args, "--json"]);
  if (run.code !== expected) {
    throw new Error(`ops ${args.join(" ")} exited ${run.code}:\n${run.stderr}\n${run.stdout}`);
  }
  return JSON.parse(run.stdout) as T;
}

/** Forces the current WAL segment into the archive and waits until it is there. */
const archiveNow = () => archiveSegment((text) => sql(text), archive);

async function sha256(bytes: Uint8Array): Promise<string> {
  return Array.from(
    new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(bytes))),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

beforeAll(async () => {
  env = await createTestEnvironment({
    services: ["postgres"],
    settings: { postgres: { pitr: { mode: "archive", archiveTimeout: 2 } } },
  });
  socket = join(env.stateDir, "postgres", "socket");
  archive = join(env.backupDir, "postgres-wal");
  await opsOk(env.file, ["postgres:start"]);
});

afterAll(async () => {
  await ops(env.file, ["down"]);
  await env.remove();
});

interface PhysicalJson {
  id: string;
  kind: string;
  startLsn: string;
  stopLsn: string;
  timeline: number;
  verified: boolean;
}

interface RestoreJson {
  mode: string;
  baseBackupId: string;
  replayedToLsn: string;
  timeline: number;
  safetyCopy: string | null;
  pid: number | null;
}

describe("the WAL archive", () => {
  it("holds every finished segment with its sha256, in a folder of the service user only", async () => {
    const segment = await archiveNow();
    const bytes = await Deno.readFile(join(archive, segment));
    const recorded = (await Deno.readTextFile(join(archive, `${segment}.sha256`))).split(" ")[0];
    const digest = await sha256(bytes);
    expect(bytes.length).toBe(16 * 1024 * 1024);
    expect(recorded).toBe(digest);
    const info = await Deno.stat(archive);
    expect(info.mode! & 0o777).toBe(0o700);
    expect(info.uid).not.toBe(0);
    // the catalog itself stays closed to the service user
    expect((await Deno.stat(join(env.backupDir, "postgres")).catch(() => undefined))?.uid ?? 0)
      .toBe(0);
  });

  it("status shows the archive's lag beside postgres's health, and metrics exports it", async () => {
    await archiveNow();
    const status = await opsJson<{
      services: {
        name: string;
        detail: string;
        walArchive?: { segmentsWaiting: number; lagSeconds: number };
      }[];
    }>(["status"]);
    const postgres = status.services.find((s) => s.name === "postgres")!;
    expect(postgres.detail).toMatch(
      /; WAL archive (up to date|\d+ s behind \(1 segment waiting\))$/,
    );
    expect(postgres.walArchive?.segmentsWaiting).toBeLessThanOrEqual(1);
    expect(postgres.walArchive?.lagSeconds).toBeGreaterThanOrEqual(0);
    const metrics = await ops(env.file, ["metrics"]);
    expect(metrics.code).toBe(0);
    expect(metrics.stdout).toMatch(
      /\nhailmary_postgres_wal_segments_waiting\{environment="[^"]+",service="postgres"\} [01]\n/,
    );
    expect(metrics.stdout).toMatch(
      /\nhailmary_postgres_wal_archive_lag_seconds\{environment="[^"]+",service="postgres"\} \d+\n/,
    );
  });

  it("accepts the same file again and refuses different content under an archived name", async () => {
    const [name] = (await Array.fromAsync(Deno.readDir(archive)))
      .map((e) => e.name).filter((n) => /^[0-9A-F]{24}$/.test(n)).sort();
    const script = join(root, "services", "postgres", "archive_wal.sh");
    const original = await Deno.readFile(join(archive, name!));
    const same = join(env.dir, "same");
    await Deno.writeFile(same, original);
    const again = await new Deno.Command(script, { args: [same, name!, archive] }).output();
    expect(again.code).toBe(0);
    const other = join(env.dir, "other");
    await Deno.writeFile(other, new Uint8Array(original.length).fill(7));
    const refused = await new Deno.Command(script, {
      args: [other, name!, archive],
      stderr: "piped",
    })
      .output();
    expect(refused.code).toBe(1);
    expect(new TextDecoder().decode(refused.stderr)).toMatch(/refusing to overwrite/);
    // compared by digest: a deep equality of 16 MiB arrays would take the worker's memory
    expect(await sha256(await Deno.readFile(join(archive, name!)))).toBe(await sha256(original));
  });

  it("archives a file with its digest beside it, and refuses it whole when it cannot be hashed", async () => {
    const script = join(root, "services", "postgres", "archive_wal.sh");
    const dir = join(env.dir, "archive-check");
    await Deno.mkdir(dir);
    const segment = join(env.dir, "segment");
    await Deno.writeFile(segment, crypto.getRandomValues(new Uint8Array(65536)));
    const name = "0000000100000000000000AA";
    const done = await new Deno.Command(script, { args: [segment, name, dir] }).output();
    expect(done.code).toBe(0);
    const digest = await sha256(await Deno.readFile(segment));
    expect(await Deno.readTextFile(join(dir, `${name}.sha256`))).toBe(`${digest}  ${name}\n`);
    // a hashing program that fails without a word: a fault the real ones cannot be made to show
    const bin = join(env.dir, "failing-bin");
    await Deno.mkdir(bin);
    await Deno.writeTextFile(join(bin, "openssl"), "#!/bin/sh\nexit 1\n", { mode: 0o755 });
    const refused = await new Deno.Command(script, {
      args: [segment, "0000000100000000000000AB", dir],
      env: { PATH: `${bin}:/usr/bin:/bin` },
      stderr: "piped",
    }).output();
    expect(refused.code).toBe(1);
    expect(new TextDecoder().decode(refused.stderr)).toMatch(/could not hash 0+1000+AB/);
    expect((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort())
      .toEqual([name, `${name}.sha256`]);
  });
});

describe("point-in-time restore", () => {
  let base: PhysicalJson;
  const marks: string[] = [];

  it("takes a base backup checked with pg_verifybackup", async () => {
    await sql("create table batches (batch int, n int)");
    base = await opsJson<PhysicalJson>(["postgres:backup", "--physical"]);
    expect(base.kind).toBe("physical");
    expect(base.verified).toBe(true);
    expect(base.timeline).toBe(1);
    expect(base.startLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    const manifest = JSON.parse(
      await Deno.readTextFile(join(env.backupDir, "postgres", base.id, "manifest.json")),
    );
    expect(manifest.details.stopLsn).toBe(base.stopLsn);
    expect(manifest.files.map((f: { path: string }) => f.path)).toContain("base/backup_manifest");
  });

  it("verify --restore-test replays a base backup in a scratch server and counts its rows", async () => {
    await sql("insert into batches values (0, 0)");
    const probe = await opsJson<PhysicalJson>(["postgres:backup", "--physical"]);
    const report = await opsJson<
      { ok: boolean; restoreTest: { ok: boolean; rows: number; tables: number } }
    >(["postgres:verify", probe.id, "--restore-test"]);
    expect(report.ok).toBe(true);
    expect(report.restoreTest).toMatchObject({ ok: true, rows: 1, tables: 1 });
    await sql("delete from batches");
    base = probe; // the newest base backup before the points restored to below
    // nothing of the scratch server is left
    const state = join(env.stateDir, "postgres");
    expect((await Array.fromAsync(Deno.readDir(state))).map((e) => e.name))
      .not.toContainEqual(expect.stringMatching(/^pitr-restore-/));
  });

  it("--to-time between two batches brings back exactly the earlier batches, then the server takes writes", async () => {
    for (let batch = 1; batch <= 3; batch++) {
      await sql(`insert into batches select ${batch}, g from generate_series(1, 100) g`);
      await tick();
      marks.push(new Date().toISOString());
      await tick();
    }
    await archiveNow();
    const restored = await opsJson<RestoreJson>([
      "postgres:restore",
      "--to-time",
      marks[1]!,
      "--yes",
    ]);
    expect(restored.mode).toBe("in-place");
    expect(restored.baseBackupId).toBe(base.id);
    expect(restored.timeline).toBe(2);
    expect(await sql("select batch, count(*) from batches group by 1 order by 1")).toEqual([
      ["1", "100"],
      ["2", "100"],
    ]);
    expect(restored.safetyCopy).toMatch(/data\.before-restore-/);
    expect(await exists(join(restored.safetyCopy!, "PG_VERSION"))).toBe(true);
    await sql("insert into batches values (9, 1)");
    // the new timeline's history reaches the archive, so later restores can follow it
    await archiveNow();
    expect(await exists(join(archive, "00000002.history"))).toBe(true);
  });

  it("brings a dropped table back with --to-time one second before the drop", async () => {
    await sql("create table precious as select g from generate_series(1, 500) g");
    await tick();
    await tick();
    const beforeDrop = new Date(Date.now() - 1000).toISOString();
    await sql("drop table precious");
    await archiveNow();
    await opsJson<RestoreJson>(["postgres:restore", "--to-time", beforeDrop, "--yes"]);
    expect(await count("precious")).toBe(500);
    expect(await count("batches")).toBe(201);
  });

  it("restores beside the live server (--port --target-dir) and leaves the live data unchanged", async () => {
    await sql("insert into batches select 10, g from generate_series(1, 50) g");
    const lsn = (await sql("select pg_current_wal_lsn()"))[0]![0]!;
    await sql("insert into batches select 11, g from generate_series(1, 50) g");
    const liveBefore = await sql("select batch, count(*) from batches group by 1 order by 1");
    const dir = join(env.dir, "beside");
    const port = freePort();
    const restored = await opsJson<RestoreJson>([
      "postgres:restore",
      "--to-lsn",
      lsn,
      "--port",
      String(port),
      "--target-dir",
      dir,
    ]);
    try {
      expect(restored.mode).toBe("beside");
      expect(await count("batches where batch = 10", port, dir)).toBe(50);
      expect(await count("batches where batch = 11", port, dir)).toBe(0);
      expect(await sql("select batch, count(*) from batches group by 1 order by 1")).toEqual(
        liveBefore,
      );
    } finally {
      await new Deno.Command("kill", { args: ["-INT", String(restored.pid)] }).output();
    }
  });
});

describe("a damaged archive", () => {
  it("verify --wal names a corrupted segment and a restore refuses to replay it, live data untouched", async () => {
    await opsJson<PhysicalJson>(["postgres:backup", "--physical"]);
    await sql("insert into batches select 20, g from generate_series(1, 10) g");
    const segment = await archiveNow();
    await sql("insert into batches select 21, g from generate_series(1, 10) g");
    await archiveNow();
    const path = join(archive, segment);
    const original = await Deno.readFile(path);
    const damaged = original.slice();
    damaged[4096] = damaged[4096]! ^ 0xff;
    await Deno.writeFile(path, damaged);
    try {
      const report = await opsJson<{ ok: boolean; problems: string[] }>(
        ["postgres:verify", "--wal"],
        1,
      );
      expect(report.ok).toBe(false);
      expect(report.problems.join("\n")).toContain(segment);
      const before = await count("batches");
      const run = await ops(env.file, ["postgres:restore", "--latest", "--yes"]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        new RegExp(`WAL file ${segment} .*does not match its recorded sha256`),
      );
      expect(run.stderr).toMatch(/nothing live was changed/);
      expect(await count("batches")).toBe(before);
    } finally {
      await Deno.writeFile(path, original);
    }
  });

  it("recovery-window reports a gap and --latest refuses to stop at it silently", async () => {
    const healthy = await opsJson<
      { gaps: unknown[]; from: string; to: string; lagSeconds: number }
    >(
      ["postgres:recovery-window"],
    );
    expect(healthy.gaps).toEqual([]);
    expect(Date.parse(healthy.from)).toBeLessThan(Date.parse(healthy.to));
    expect(healthy.lagSeconds).toBeLessThanOrEqual(5);
    await sql("insert into batches select 30, g from generate_series(1, 10) g");
    const missing = await archiveNow();
    await sql("insert into batches select 31, g from generate_series(1, 10) g");
    await archiveNow();
    const aside = join(env.dir, "aside");
    await Deno.rename(join(archive, missing), aside);
    try {
      const window = await opsJson<{ gaps: { from: string; segments: number }[] }>(
        ["postgres:recovery-window"],
        1,
      );
      expect(window.gaps).toEqual([expect.objectContaining({ from: missing, segments: 1 })]);
      const run = await ops(env.file, ["postgres:restore", "--latest", "--yes"]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(new RegExp(`gap .*${missing}`));
    } finally {
      await Deno.rename(aside, join(archive, missing));
    }
  });
});

describe("an interrupted restore", () => {
  it("leaves its scratch folder, named after its run, which cleanup --leftovers removes", async () => {
    const state = join(env.stateDir, "postgres");
    const child = new Deno.Command(join(root, "ops"), {
      args: ["postgres:restore", "--latest", "--yes", "--env", env.file],
      cwd: root,
      stdout: "null",
      stderr: "null",
    }).spawn();
    let scratch: string | undefined;
    for (let i = 0; i < 400 && !scratch; i++) {
      scratch = (await Array.fromAsync(Deno.readDir(state)))
        .map((e) => e.name).find((n) => n.startsWith("pitr-restore-"));
      if (!scratch) await new Promise((r) => setTimeout(r, 25));
    }
    expect(scratch).toBeDefined();
    // kill -9 of the task itself (the process that owns the folder), not of ./ops
    const task = (await processesMentioning(`postgres:restore --latest --yes --env ${env.file}`))
      .map((l) => Number(l.trim().split(/\s+/)[0]))
      .filter((pid) => pid !== child.pid);
    // ./ops runs the task in its own process, or again with the environment's folders granted
    for (const pid of task.length ? task : [child.pid]) {
      await new Deno.Command("kill", { args: ["-KILL", String(pid)] }).output();
    }
    await child.status;
    expect(await exists(join(state, scratch!))).toBe(true);
    const cleaned = await opsJson<{ removed: { name: string }[] }>([
      "cleanup",
      "--leftovers",
      "--yes",
    ]);
    expect(cleaned.removed.map((r) => r.name)).toContain(scratch);
    expect(await exists(join(state, scratch!))).toBe(false);
    expect(await processesMentioning(join(state, scratch!))).toEqual([]);
    expect(await count("batches")).toBeGreaterThan(0);
  });
});

describe("losing the data folder", () => {
  it("kill -9 under a write load, data folder deleted: --latest brings back every row older than archiveTimeout", async () => {
    await sql("create table events (at timestamptz default clock_timestamp(), n int)");
    await opsJson<PhysicalJson>(["postgres:backup", "--physical"]);
    const committed: { n: number; at: number }[] = [];
    let stop = false;
    const writer = (async () => {
      for (let n = 0; !stop; n++) {
        const ok = await sql(`insert into events (n) values (${n})`).then(() => true, () => false);
        if (ok) committed.push({ n, at: Date.now() });
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await new Promise((r) => setTimeout(r, 6000));
    const killedAt = Date.now();
    await killServiceGroup(env.stateDir, "postgres");
    stop = true;
    await writer;
    await Deno.remove(join(env.stateDir, "postgres", "data"), { recursive: true });
    const restored = await opsJson<RestoreJson>(["postgres:restore", "--latest", "--yes"]);
    expect(restored.safetyCopy).toBeNull();
    const back = new Set((await sql("select n from events")).map(([n]) => Number(n)));
    // every row committed more than archiveTimeout (2 s) + 1 s before the kill is back
    const old = committed.filter((c) => c.at < killedAt - 3000);
    expect(old.length).toBeGreaterThan(20);
    expect(old.filter((c) => !back.has(c.n))).toEqual([]);
    console.log(
      `archive mode, kill -9: ${committed.length} committed, ${back.size} restored, ${
        committed.length - back.size
      } lost`,
    );
    expect(await count("batches")).toBeGreaterThan(0);
  });
});

describe("retention", () => {
  it("prune removes old base backups and only the WAL no kept base backup needs", async () => {
    const newest = await opsJson<PhysicalJson>(["postgres:backup", "--physical"]);
    await sql("insert into batches values (40, 1)");
    await archiveNow();
    const before = await opsJson<{ from: string }>(["postgres:recovery-window"]);
    const state = join(env.stateDir, "postgres");
    const copies = (await Array.fromAsync(Deno.readDir(state))).map((e) => e.name)
      .filter((n) => n.startsWith("data.before-restore-")).sort();
    expect(copies.length).toBeGreaterThanOrEqual(2);
    const pruned = await opsJson<{
      removed: string[];
      wal: { keptFrom: string; files: string[] };
      safetyCopies: { kept: string; removed: string[] };
    }>(["postgres:prune", "--keep-last", "1", "--yes"]);
    expect(pruned.safetyCopies).toEqual({ kept: copies.at(-1), removed: copies.slice(0, -1) });
    expect(
      (await Array.fromAsync(Deno.readDir(state))).map((e) => e.name)
        .filter((n) => n.startsWith("data.before-restore-")),
    ).toEqual([copies.at(-1)]);
    expect(pruned.removed.length).toBeGreaterThan(0);
    expect(pruned.removed).not.toContain(newest.id);
    expect(pruned.wal.keptFrom).not.toBeNull();
    expect(pruned.wal.files.length).toBeGreaterThan(0);
    const first = (await Array.fromAsync(Deno.readDir(archive))).map((e) => e.name)
      .filter((n) => /^[0-9A-F]{24}$/.test(n)).sort()[0]!;
    // the newest base backup's first segment is kept, nothing before it
    expect(first.slice(8)).toBe(
      (await sql(`select pg_walfile_name('${newest.startLsn}')`))[0]![0]!.slice(8),
    );
    const after = await opsJson<{ from: string; gaps: unknown[] }>(["postgres:recovery-window"]);
    expect(after.gaps).toEqual([]);
    expect(Date.parse(after.from)).toBeGreaterThan(Date.parse(before.from));
    const wal = await opsJson<{ ok: boolean }>(["postgres:verify", "--wal"]);
    expect(wal.ok).toBe(true);
  });
});
