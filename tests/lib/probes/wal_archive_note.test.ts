import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  walArchiveNote,
  walArchiveReading,
  type WalArchiveWatch,
} from "../../../lib/probes/wal_archive_note.ts";

let dir: string;
let readyDir: string;
let archiveDir: string;
const now = Date.parse("2026-11-29T10:00:00Z");
const at = (secondsAgo: number) => new Date(now - secondsAgo * 1000);
const note = async (watch: WalArchiveWatch) => {
  const reading = await walArchiveReading(watch, now);
  return reading && walArchiveNote(reading, now);
};

async function touch(path: string, secondsAgo: number) {
  await Deno.writeTextFile(path, "");
  await Deno.utime(path, at(secondsAgo), at(secondsAgo));
}

beforeEach(async () => {
  dir = await Deno.makeTempDir({ prefix: "hailmary-wal-note-" });
  readyDir = join(dir, "pg_wal", "archive_status");
  archiveDir = join(dir, "postgres-wal");
  await Deno.mkdir(readyDir, { recursive: true });
  await Deno.mkdir(archiveDir);
});
afterEach(() => Deno.remove(dir, { recursive: true }));

describe("the WAL archive note of a status line", () => {
  it("is up to date when the server has no segment waiting (.done files are shipped ones)", async () => {
    await touch(join(readyDir, "000000010000000000000003.done"), 5);
    expect(await note({ readyDir, archiveDir })).toBe("WAL archive up to date");
  });

  it("counts the waiting segments and the wait of the oldest", async () => {
    await touch(join(readyDir, "000000010000000000000004.ready"), 30);
    await touch(join(readyDir, "000000010000000000000005.ready"), 95);
    await touch(join(readyDir, "000000010000000000000003.ready"), 120);
    expect(await note({ readyDir, archiveDir })).toBe(
      "WAL archive 120 s behind (3 segments waiting)",
    );
    // the figures the metrics export
    expect(await walArchiveReading({ readyDir, archiveDir }, now)).toEqual({
      segmentsWaiting: 3,
      lagSeconds: 120,
    });
  });

  it("falls back to the archive's newest file where the server's folder is not readable", async () => {
    await touch(join(archiveDir, "000000010000000000000007"), 300);
    await touch(join(archiveDir, "000000010000000000000008.partial"), 40);
    await touch(join(archiveDir, "000000010000000000000008.sha256"), 1);
    expect(await note({ readyDir: join(dir, "absent"), archiveDir })).toBe(
      "WAL last archived 40 s ago",
    );
    expect(await note({ archiveDir })).toBe("WAL last archived 40 s ago");
    expect(await walArchiveReading({ archiveDir }, now)).toEqual({
      lastArchivedAt: "2026-11-29T09:59:20.000Z",
    });
  });

  it("says nothing when neither folder can be read", async () => {
    expect(await note({ archiveDir: join(dir, "absent") })).toBeUndefined();
  });
});
