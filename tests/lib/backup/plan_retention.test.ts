import { describe, expect, it } from "vitest";
import { isoWeek, planRetention } from "../../../lib/backup/mod.ts";

/** One backup a day at 03:00 UTC for `days` days ending 2026-11-22, plus extra ones on the last day. */
function history(days: number, extraToday = 0): { id: string; startedAt: string }[] {
  const out: { id: string; startedAt: string }[] = [];
  const end = Date.UTC(2026, 10, 22, 3, 0, 0);
  for (let d = days - 1; d >= 0; d--) {
    const t = new Date(end - d * 86_400_000);
    out.push({ id: `day-${t.toISOString().slice(0, 10)}`, startedAt: t.toISOString() });
  }
  for (let i = 1; i <= extraToday; i++) {
    const t = new Date(end + i * 3_600_000);
    out.push({ id: `extra-${i}`, startedAt: t.toISOString() });
  }
  return out;
}

describe("planRetention", () => {
  it("keeps the N newest with keepLast and removes the rest, newest first", () => {
    const plan = planRetention(history(5), { keepLast: 2 });
    expect(plan.keep.map((k) => k.id)).toEqual(["day-2026-11-22", "day-2026-11-21"]);
    expect(plan.remove.map((r) => r.id)).toEqual([
      "day-2026-11-20",
      "day-2026-11-19",
      "day-2026-11-18",
    ]);
  });

  it("keeps only the newest backup of each day with keepDaily", () => {
    const plan = planRetention(history(4, 3), { keepDaily: 2 });
    expect(plan.keep.map((k) => k.id)).toEqual(["extra-3", "day-2026-11-21"]);
    expect(plan.keep[0]!.reasons).toEqual(["daily 2026-11-22"]);
    expect(plan.remove.map((r) => r.id)).toContain("day-2026-11-22");
    expect(plan.remove.map((r) => r.id)).toContain("extra-1");
  });

  it("counts only days that hold a backup (a gap does not use up the policy)", () => {
    const backups = history(10).filter((_, i) => i % 3 === 0); // every third day
    const plan = planRetention(backups, { keepDaily: 3 });
    expect(plan.keep).toHaveLength(3);
    expect(plan.remove).toHaveLength(backups.length - 3);
  });

  it("keeps the newest of each ISO week with keepWeekly", () => {
    const plan = planRetention(history(21), { keepWeekly: 3 });
    // 2026-11-22 is a Sunday: weeks W47 (16-22), W46 (9-15), W45 (2-8)
    expect(plan.keep.map((k) => [k.id, k.reasons])).toEqual([
      ["day-2026-11-22", ["weekly 2026-W47"]],
      ["day-2026-11-15", ["weekly 2026-W46"]],
      ["day-2026-11-08", ["weekly 2026-W45"]],
    ]);
  });

  it("adds the rules up and names every reason", () => {
    const plan = planRetention(history(10), { keepLast: 1, keepDaily: 2, keepWeekly: 2 });
    const newest = plan.keep.find((k) => k.id === "day-2026-11-22")!;
    expect(newest.reasons).toEqual(["last", "daily 2026-11-22", "weekly 2026-W47"]);
    expect(plan.keep.map((k) => k.id)).toEqual([
      "day-2026-11-22",
      "day-2026-11-21",
      "day-2026-11-15",
    ]);
    expect(plan.keep.length + plan.remove.length).toBe(10);
  });

  it("never removes the newest backup, even with a policy of zero", () => {
    const plan = planRetention(history(3), { keepLast: 0, keepDaily: 0 });
    expect(plan.keep).toEqual([
      { id: "day-2026-11-22", startedAt: "2026-11-22T03:00:00.000Z", reasons: ["newest"] },
    ]);
    expect(plan.remove).toHaveLength(2);
  });

  it("orders by start time, not by input order", () => {
    const plan = planRetention(history(3).reverse(), { keepLast: 1 });
    expect(plan.keep.map((k) => k.id)).toEqual(["day-2026-11-22"]);
  });

  it("returns an empty plan for no backups", () => {
    expect(planRetention([], { keepLast: 3 })).toEqual({ keep: [], remove: [] });
  });
});

describe("isoWeek", () => {
  it("puts the first days of January in the last week of the previous year when ISO says so", () => {
    expect(isoWeek(new Date("2027-01-01T12:00:00Z"))).toBe("2026-W53");
    expect(isoWeek(new Date("2026-01-01T12:00:00Z"))).toBe("2026-W01");
    expect(isoWeek(new Date("2026-11-22T23:59:59Z"))).toBe("2026-W47");
    expect(isoWeek(new Date("2026-11-23T00:00:00Z"))).toBe("2026-W48");
  });
});
