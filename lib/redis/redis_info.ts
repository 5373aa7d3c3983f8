/** Key counts of one database from `INFO keyspace`. */
export interface DatabaseKeys {
  keys: number;
  /** Keys with a time to live. */
  expires: number;
}

/** Key counts by database name (`db0`, `db3`...); empty databases are absent, as Redis reports them. */
export type Keyspace = Record<string, DatabaseKeys>;

/**
 * The fields of an `INFO` answer as strings (section headers and blank lines skipped).
 * @example
 * parseInfo("# Persistence\r\nrdb_bgsave_in_progress:0\r\n").rdb_bgsave_in_progress; // "0"
 */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (line === "" || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    if (colon > 0) out[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return out;
}

/**
 * Key counts per database from an `INFO keyspace` answer
 * (`db0:keys=12,expires=3,avg_ttl=0`).
 */
export function parseKeyspace(text: string): Keyspace {
  const out: Keyspace = {};
  for (const [name, value] of Object.entries(parseInfo(text))) {
    if (!/^db\d+$/.test(name)) continue;
    const fields = Object.fromEntries(
      value.split(",").map((pair) => pair.split("=") as [string, string]),
    );
    out[name] = { keys: Number(fields.keys ?? 0), expires: Number(fields.expires ?? 0) };
  }
  return out;
}

/** The total number of keys over all databases. */
export function totalKeys(keyspace: Keyspace): number {
  return Object.values(keyspace).reduce((sum, db) => sum + db.keys, 0);
}
