import type { Keyspace } from "../lib/redis/mod.ts";

/** The outcome of comparing restored key counts with a backup's manifest. */
export interface KeyspaceCheck {
  ok: boolean;
  /** Every database has exactly the count the manifest records. */
  exact: boolean;
  /** Keys with a time to live that had expired by the time the RDB was loaded (not loaded). */
  expiredOnLoad: number;
  /** One line per database outside what the manifest allows. */
  problems: string[];
}

/** The key counts a Redis manifest records. */
export interface RecordedKeyspace {
  keyspace: Keyspace;
  /** Counts when the save was requested; differs from `keyspace` when writes ran during the save. */
  keyspaceAtStart: Keyspace;
}

/**
 * Compares the key counts of a restored dataset with the manifest. A database
 * passes with exactly the recorded count; with fewer when the missing keys are
 * explained by keys that expired before the load (Redis does not load them);
 * or anywhere between the counts at the start and at the end of the save when
 * writes ran meanwhile.
 */
export function compareKeyspace(
  recorded: RecordedKeyspace,
  actual: Keyspace,
  expiredOnLoad: number,
): KeyspaceCheck {
  const names = new Set([
    ...Object.keys(recorded.keyspace),
    ...Object.keys(recorded.keyspaceAtStart),
    ...Object.keys(actual),
  ]);
  const problems: string[] = [];
  let exact = true;
  let unexplained = expiredOnLoad;
  for (const name of [...names].sort()) {
    const expected = recorded.keyspace[name]?.keys ?? 0;
    const atStart = recorded.keyspaceAtStart[name]?.keys ?? expected;
    const got = actual[name]?.keys ?? 0;
    if (got === expected) continue;
    exact = false;
    const low = Math.min(expected, atStart);
    const high = Math.max(expected, atStart);
    if (got >= low && got <= high) continue;
    const missing = low - got;
    if (missing > 0 && missing <= unexplained) {
      unexplained -= missing;
      continue;
    }
    problems.push(
      `${name} has ${got} keys, the backup recorded ${
        low === high ? expected : `${low} to ${high}`
      }`,
    );
  }
  return { ok: problems.length === 0, exact, expiredOnLoad, problems };
}
