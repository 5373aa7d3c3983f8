import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "../../../lib/posix_path.ts";
import {
  listBackups,
  pruneBackups,
  readBackup,
  verifyBackup,
  withBackupLock,
  writeBackup,
} from "../../../lib/backup/mod.ts";
import { BusyError, UsageError } from "../../../lib/errors.ts";

let root: string;

beforeAll(async () => {
  root = await Deno.makeTempDir({ prefix: "backup-catalog-test-" });
});

afterAll(async () => {
  await Deno.remove(root, { recursive: true }).catch(() => {});
});

/** A fresh backup folder per test, so tests never see each other's backups. */
async function freshDir(): Promise<string> {
  return await Deno.makeTempDir({ dir: root });
}

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return ReadableStream.from(chunks.map((c) => encoder.encode(c)));
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The pid of a process that has exited (pids are not reused that fast). */
async function deadPid(): Promise<number> {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
}

describe("writeBackup", () => {
  it("streams files through sha256 and writes the manifest with sizes and checksums", async () => {
    const dir = await freshDir();
    const entry = await writeBackup(
      { backupDir: dir, service: "svc", environment: "test", label: "first", options: { a: 1 } },
      async (writer) => {
        await writer.addStream("data.bin", streamOf("hello ", "world"));
        await Deno.mkdir(join(writer.dir, "sub"));
        await Deno.writeTextFile(join(writer.dir, "sub", "written.txt"), "by a program");
        return { details: { rows: 3 }, serverVersion: "1.2", toolVersion: "t 1" };
      },
    );
    expect(entry.path).toBe(join(dir, "svc", entry.manifest.id));
    expect(entry.manifest).toMatchObject({
      service: "svc",
      environment: "test",
      label: "first",
      serverVersion: "1.2",
      toolVersion: "t 1",
      options: { a: 1 },
      details: { rows: 3 },
      totalBytes: 11 + 12,
    });
    expect(entry.manifest.files).toEqual([
      { path: "data.bin", size: 11, sha256: await sha256("hello world") },
      { path: "sub/written.txt", size: 12, sha256: await sha256("by a program") },
    ]);
    const onDisk = JSON.parse(await Deno.readTextFile(join(entry.path, "manifest.json")));
    expect(onDisk).toEqual(entry.manifest);
    const names = (await Array.fromAsync(Deno.readDir(join(dir, "svc")))).map((e) => e.name);
    expect(names).toEqual([entry.manifest.id]);
  });

  it("removes its temp folder and leaves no backup when the producer fails", async () => {
    const dir = await freshDir();
    await expect(writeBackup(
      { backupDir: dir, service: "svc", environment: "test" },
      async (writer) => {
        await writer.addStream("part.bin", streamOf("partial"));
        throw new Error("dump failed");
      },
    )).rejects.toThrow("dump failed");
    expect(await Array.fromAsync(Deno.readDir(join(dir, "svc")))).toEqual([]);
    expect(await listBackups(dir, "svc")).toEqual([]);
  });

  it("refuses a label with a slash, '..' or a control character before writing anything", async () => {
    const dir = await freshDir();
    for (const label of ["a/b", "..", "x..y", "bad\nline", "tab\there"]) {
      let called = false;
      const attempt = writeBackup(
        { backupDir: dir, service: "svc", environment: "t", label },
        () => {
          called = true;
          return Promise.resolve({});
        },
      );
      await expect(attempt).rejects.toBeInstanceOf(UsageError);
      expect(called).toBe(false);
    }
  });

  it("refuses a data file path that leaves the backup folder or shadows the manifest", async () => {
    const dir = await freshDir();
    for (const path of ["../escape", "manifest.json", "a/../../x"]) {
      await expect(writeBackup(
        { backupDir: dir, service: "svc", environment: "t" },
        async (writer) => {
          await writer.addStream(path, streamOf("x"));
          return {};
        },
      )).rejects.toThrow("is not allowed");
    }
    expect(await Array.fromAsync(Deno.readDir(dir))).toHaveLength(1); // only svc/, nothing escaped
  });

  it("removes leftovers of a dead writer on the next run and keeps a live writer's folder", async () => {
    const dir = await freshDir();
    const serviceDir = join(dir, "svc");
    await Deno.mkdir(join(serviceDir, ".tmp-dead"), { recursive: true });
    await Deno.writeTextFile(
      join(serviceDir, ".tmp-dead", ".writer.json"),
      JSON.stringify({
        pid: await deadPid(),
        startedEpoch: 0,
        host: Deno.hostname(),
        children: [],
      }),
    );
    await Deno.writeTextFile(join(serviceDir, ".tmp-dead", "half.dump"), "half");
    await Deno.mkdir(join(serviceDir, ".tmp-live"));
    const self = Number(
      new TextDecoder().decode(
        (await new Deno.Command("ps", { args: ["-o", "etimes=", "-p", String(Deno.pid)] })
          .output()).stdout,
      ).trim(),
    );
    await Deno.writeTextFile(
      join(serviceDir, ".tmp-live", ".writer.json"),
      JSON.stringify({
        pid: Deno.pid,
        startedEpoch: Math.round(Date.now() / 1000 - self),
        host: Deno.hostname(),
        children: [],
      }),
    );
    expect(await listBackups(dir, "svc")).toEqual([]);
    await writeBackup(
      { backupDir: dir, service: "svc", environment: "t" },
      () => Promise.resolve({}),
    );
    const names = (await Array.fromAsync(Deno.readDir(serviceDir))).map((e) => e.name).sort();
    expect(names).toContain(".tmp-live");
    expect(names).not.toContain(".tmp-dead");
    expect(names.filter((n) => !n.startsWith("."))).toHaveLength(1);
  });
});

describe("listBackups, readBackup and verifyBackup", () => {
  it("ignores folders without a manifest and lists newest first", async () => {
    const dir = await freshDir();
    const older = await writeBackup(
      { backupDir: dir, service: "svc", environment: "t", now: new Date("2026-01-01T00:00:00Z") },
      () => Promise.resolve({}),
    );
    const newer = await writeBackup(
      { backupDir: dir, service: "svc", environment: "t", now: new Date("2026-02-01T00:00:00Z") },
      () => Promise.resolve({}),
    );
    await Deno.mkdir(join(dir, "svc", "20260301T000000Z-abcdef")); // no manifest: not a backup
    const ids = (await listBackups(dir, "svc")).map((b) => b.manifest.id);
    expect(ids).toEqual([newer.manifest.id, older.manifest.id]);
    expect((await readBackup(dir, "svc", "latest")).manifest.id).toBe(newer.manifest.id);
    await expect(readBackup(dir, "svc", "20260301T000000Z-abcdef")).rejects.toThrow(
      'unknown svc backup "20260301T000000Z-abcdef"',
    );
  });

  it("answers an unknown or malformed id with a usage error listing the known ids", async () => {
    const dir = await freshDir();
    const one = await writeBackup(
      { backupDir: dir, service: "svc", environment: "t" },
      () => Promise.resolve({}),
    );
    for (const id of ["../../etc", "20990101T000000Z-000000"]) {
      const error = await readBackup(dir, "svc", id).catch((e) => e);
      expect(error).toBeInstanceOf(UsageError);
      expect(error.hint).toContain(one.manifest.id);
    }
  });

  it("finds a flipped byte, a truncated file and a missing file", async () => {
    const dir = await freshDir();
    const entry = await writeBackup(
      { backupDir: dir, service: "svc", environment: "t" },
      async (writer) => {
        await writer.addStream("a.bin", streamOf("aaaaaaaaaa"));
        await writer.addStream("b.bin", streamOf("bbbbbbbbbb"));
        await writer.addStream("c.bin", streamOf("cccccccccc"));
        return {};
      },
    );
    expect((await verifyBackup(entry)).ok).toBe(true);
    const a = join(entry.path, "a.bin");
    const bytes = await Deno.readFile(a);
    bytes[3] = bytes[3]! ^ 0x01;
    await Deno.writeFile(a, bytes);
    await Deno.writeTextFile(join(entry.path, "b.bin"), "bbbb");
    await Deno.remove(join(entry.path, "c.bin"));
    const report = await verifyBackup(entry);
    expect(report.ok).toBe(false);
    expect(report.problems).toHaveLength(3);
    expect(report.problems[0]).toMatch(/^a\.bin: sha256 [0-9a-f]{64} does not match the manifest$/);
    expect(report.problems[1]).toBe("b.bin: size 4 bytes, manifest says 10");
    expect(report.problems[2]).toBe("c.bin: missing");
  });
});

describe("pruneBackups", () => {
  it("removes what the policy does not keep, keeps the newest, and changes nothing on a dry run", async () => {
    const dir = await freshDir();
    const ids: string[] = [];
    for (let day = 1; day <= 4; day++) {
      const entry = await writeBackup({
        backupDir: dir,
        service: "svc",
        environment: "t",
        now: new Date(`2026-11-0${day}T03:00:00Z`),
      }, async (writer) => {
        await writer.addStream("x", streamOf("12345"));
        return {};
      });
      ids.push(entry.manifest.id);
    }
    const dry = await pruneBackups(dir, "svc", { keepLast: 2 }, { dryRun: true });
    expect(dry.remove.map((r) => r.id)).toEqual([ids[1], ids[0]]);
    expect(await listBackups(dir, "svc")).toHaveLength(4);
    const done = await pruneBackups(dir, "svc", { keepLast: 2 }, { dryRun: false });
    expect(done.removed).toEqual([ids[1], ids[0]]);
    expect(done.freedBytes).toBe(10);
    expect((await listBackups(dir, "svc")).map((b) => b.manifest.id)).toEqual([ids[3], ids[2]]);
    const names = (await Array.fromAsync(Deno.readDir(join(dir, "svc")))).map((e) => e.name);
    expect(names.sort()).toEqual([ids[2], ids[3]].sort());
  });

  it("needs at least one rule", async () => {
    await expect(pruneBackups(await freshDir(), "svc", {}, { dryRun: true })).rejects
      .toBeInstanceOf(UsageError);
  });
});

describe("withBackupLock", () => {
  it("refuses a second holder at once, naming the first, and frees the lock afterwards", async () => {
    const dir = await freshDir();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const first = withBackupLock(dir, "svc", "svc:backup", () => held);
    await new Promise((r) => setTimeout(r, 200));
    const began = Date.now();
    const error = await withBackupLock(dir, "svc", "svc:restore", () => Promise.resolve())
      .catch((e) => e);
    expect(Date.now() - began).toBeLessThan(2000);
    expect(error).toBeInstanceOf(BusyError);
    expect(error.exitCode).toBe(75);
    expect(error.message).toContain(`svc:backup (pid ${Deno.pid} on ${Deno.hostname()}`);
    release();
    await first;
    expect(await withBackupLock(dir, "svc", "svc:prune", () => Promise.resolve("ran"))).toBe(
      "ran",
    );
    await expect(Deno.stat(join(dir, "svc", ".lock"))).rejects.toBeInstanceOf(
      Deno.errors.NotFound,
    );
  });

  it("takes over a lock whose process is dead", async () => {
    const dir = await freshDir();
    await Deno.mkdir(join(dir, "svc"), { recursive: true });
    await Deno.writeTextFile(
      join(dir, "svc", ".lock"),
      JSON.stringify({
        pid: await deadPid(),
        startedEpoch: 0,
        host: Deno.hostname(),
        task: "svc:backup",
        startedAt: "2026-01-01T00:00:00Z",
      }),
    );
    expect(await withBackupLock(dir, "svc", "svc:backup", () => Promise.resolve(42))).toBe(42);
  });

  it("releases the lock when the work fails", async () => {
    const dir = await freshDir();
    await expect(withBackupLock(dir, "svc", "svc:backup", () => Promise.reject(new Error("x"))))
      .rejects.toThrow("x");
    expect(await withBackupLock(dir, "svc", "svc:backup", () => Promise.resolve(1))).toBe(1);
  });
});
