/** Exact row counts by `schema.table`, of every ordinary table outside the system schemas. */
export type TableRowCounts = Record<string, number>;

/**
 * One statement that counts the rows of every user table (partitions count
 * on their own; tables of extensions are skipped). Being one statement, all
 * counts come from one snapshot: the transaction's, when run inside one.
 * Rows: `schema.table`, count.
 */
export const tableRowCountsSql = `
  select n.nspname || '.' || c.relname,
    (xpath('/row/n/text()', query_to_xml(
      format('select count(*) as n from only %I.%I', n.nspname, c.relname), false, true, ''
    )))[1]::text
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where c.relkind = 'r'
    and n.nspname not in ('pg_catalog', 'information_schema')
    and n.nspname not like 'pg_toast%' and n.nspname not like 'pg_temp%'
    and not exists (
      select 1 from pg_depend d
      where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e'
    )
  order by 1`;

/** Turns the rows of {@link tableRowCountsSql} into counts. */
export function parseRowCounts(rows: string[][]): TableRowCounts {
  const counts: TableRowCounts = {};
  for (const [table, n] of rows) if (table !== undefined) counts[table] = Number(n ?? 0);
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
