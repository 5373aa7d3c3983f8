import { describe, expect, it } from "vitest";
import { compareKeyspace } from "../../tasks/redis_keyspace_check.ts";

const recorded = {
  keyspace: { db0: { keys: 100, expires: 10 }, db2: { keys: 5, expires: 0 } },
  keyspaceAtStart: { db0: { keys: 100, expires: 10 }, db2: { keys: 5, expires: 0 } },
};

describe("comparing restored key counts with the manifest", () => {
  it("passes exactly equal counts", () => {
    const check = compareKeyspace(recorded, recorded.keyspace, 0);
    expect(check).toEqual({ ok: true, exact: true, expiredOnLoad: 0, problems: [] });
  });

  it("accepts missing keys only as far as keys expired before the load", () => {
    const actual = { db0: { keys: 97, expires: 7 }, db2: { keys: 5, expires: 0 } };
    expect(compareKeyspace(recorded, actual, 3)).toMatchObject({ ok: true, exact: false });
    const check = compareKeyspace(recorded, actual, 2);
    expect(check.ok).toBe(false);
    expect(check.problems).toEqual(["db0 has 97 keys, the backup recorded 100"]);
  });

  it("accepts a count between the start and end of a save that ran during writes", () => {
    const moving = { ...recorded, keyspaceAtStart: { db0: { keys: 90, expires: 10 } } };
    const actual = { db0: { keys: 95, expires: 10 }, db2: { keys: 5, expires: 0 } };
    expect(compareKeyspace(moving, actual, 0).ok).toBe(true);
    const beyond = compareKeyspace(moving, { ...actual, db0: { keys: 101, expires: 0 } }, 0);
    expect(beyond.problems).toEqual(["db0 has 101 keys, the backup recorded 90 to 100"]);
  });

  it("reports a database the backup did not have", () => {
    const actual = { ...recorded.keyspace, db9: { keys: 1, expires: 0 } };
    expect(compareKeyspace(recorded, actual, 0).problems).toEqual([
      "db9 has 1 keys, the backup recorded 0",
    ]);
  });
});
