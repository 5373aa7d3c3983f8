import { describe, expect, it } from "vitest";
import {
  type ArchivedWal,
  findGaps,
  formatLsn,
  parseLsn,
  parseSegmentName,
  segmentFileName,
  segmentOfLsn,
  walChain,
} from "../../../lib/postgres/wal_archive.ts";
import { recoveryWindow } from "../../../lib/postgres/recovery_window.ts";

/** An archived segment as the archive lists it (pure data: the window is arithmetic on names). */
function seg(timeline: number, segno: number, archivedAt: string): ArchivedWal {
  const name = segmentFileName(timeline, segno);
  return { name, segment: parseSegmentName(name)!, size: 16 << 20, archivedAt, sha256: "0" };
}

describe("WAL names and positions", () => {
  it("reads and writes LSNs and segment names as PostgreSQL does", () => {
    expect(formatLsn(parseLsn("1/A000028")!)).toBe("1/A000028");
    expect(segmentOfLsn(parseLsn("1/A000028")!)).toBe(256 + 10);
    expect(segmentFileName(2, 256 + 10)).toBe("00000002000000010000000A");
    expect(parseSegmentName("00000002000000010000000A")).toEqual({ timeline: 2, segno: 266 });
    expect(parseSegmentName("00000002.history")).toBeUndefined();
    expect(parseLsn("nope")).toBeUndefined();
  });

  it("finds the missing segments between archived ones, per timeline", () => {
    const files = [seg(1, 3, "a"), seg(1, 4, "b"), seg(1, 7, "c"), seg(2, 7, "d")];
    expect(findGaps(files)).toEqual([{
      timeline: 1,
      from: "000000010000000000000005",
      to: "000000010000000000000006",
      segments: 2,
      fromLsn: "0/5000000",
    }]);
    expect(walChain(files, 1, 3)).toEqual({
      missing: ["000000010000000000000005", "000000010000000000000006"],
      lastSegno: 4,
    });
    // a later timeline continues the chain after a restore
    expect(walChain([seg(1, 3, "a"), seg(2, 4, "b")], 1, 3).missing).toEqual([]);
  });
});

describe("the recoverable window", () => {
  const backups = [
    {
      id: "old",
      timeline: 1,
      startLsn: "0/2000028",
      stopLsn: "0/2000100",
      stopTime: "2026-11-29T01:00:00Z",
    },
    {
      id: "new",
      timeline: 1,
      startLsn: "0/6000028",
      stopLsn: "0/6000100",
      stopTime: "2026-11-29T02:00:00Z",
    },
  ];

  it("runs from the oldest base backup to the end of the unbroken WAL, with the lag", () => {
    const files = [3, 4, 5, 6, 7, 8].map((n) => seg(1, n, `2026-11-29T0${n - 2}:30:00.000Z`));
    const window = recoveryWindow({
      backups,
      files,
      position: {
        currentLsn: "0/9000100",
        currentSegment: "000000010000000000000009",
        failedCount: 0,
        lastFailedWal: null,
        lastFailedAt: null,
        slot: null,
      },
      now: new Date("2026-11-29T06:31:00Z"),
    });
    expect(window.from).toBe("2026-11-29T01:00:00Z");
    expect(window.to).toBe("2026-11-29T06:30:00.000Z");
    expect(window.toLsn).toBe("0/8FFFFFF");
    expect(window.gaps).toEqual([]);
    expect(window.lagSeconds).toBe(60);
    expect(window.lagBytes).toBe(0x100);
  });

  it("starts after a gap: an older base backup cannot cross it", () => {
    const files = [3, 4, 6, 7, 8].map((n) => seg(1, n, `2026-11-29T0${n - 2}:30:00.000Z`));
    const window = recoveryWindow({ backups, files });
    expect(window.from).toBe("2026-11-29T02:00:00Z");
    expect(window.gaps.map((g) => g.from)).toEqual(["000000010000000000000005"]);
    expect(window.lagSeconds).toBeNull();
  });

  it("has a lag of 0 when the server wrote nothing past the archive", () => {
    const files = [7, 8].map((n) => seg(1, n, "2026-11-29T03:00:00.000Z"));
    const window = recoveryWindow({
      backups,
      files,
      position: {
        currentLsn: "0/9000000",
        currentSegment: "000000010000000000000009",
        failedCount: 2,
        lastFailedWal: null,
        lastFailedAt: null,
        slot: null,
      },
      now: new Date("2026-11-29T09:00:00Z"),
    });
    expect(window.lagSeconds).toBe(0);
    expect(window.archiveFailures?.count).toBe(2);
  });
});
