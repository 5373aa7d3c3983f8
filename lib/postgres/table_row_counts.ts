import type { Sql, TransactionSql } from "postgres";

/** Exact row counts by `schema.table`, of every ordinary table outside the system schemas. */
export type TableRowCounts = Record<string, number>;

/**
 * Counts the rows of every user table (partitions count on their own; parents
 * are skipped), in the snapshot of the connection's current transaction.
 */
export async function tableRowCounts(sql: Sql | TransactionSql): Promise<TableRowCounts> {
  const tables = await sql<{ schema: string; name: string }[]>`
    select n.nspname as schema, c.relname as name
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind = 'r'
      and n.nspname not in ('pg_catalog', 'information_schema')
      and n.nspname not like 'pg_toast%' and n.nspname not like 'pg_temp%'
      and not exists (
        select 1 from pg_depend d
        where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e'
      )
    order by 1, 2`;
  const counts: TableRowCounts = {};
  for (const t of tables) {
    const [row] = await sql`select count(*)::bigint as n from only ${sql(t.schema)}.${sql(t.name)}`;
    counts[`${t.schema}.${t.name}`] = Number(row?.n ?? 0);
  }
  return counts;
}

/** Lines describing where two sets of row counts differ (empty when equal). */
export function compareRowCounts(expected: TableRowCounts, actual: TableRowCounts): string[] {
  const problems: string[] = [];
  for (const [table, n] of Object.entries(expected)) {
    const got = actual[table];
    if (got === undefined) problems.push(`${table}: missing after restore (expected ${n} rows)`);
    else if (got !== n) problems.push(`${table}: ${got} rows, the backup recorded ${n}`);
  }
  for (const table of Object.keys(actual)) {
    if (!(table in expected)) problems.push(`${table}: not in the backup's row counts`);
  }
  return problems;
}
