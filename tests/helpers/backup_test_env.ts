/**
 * Test environments for the data tasks: a copy of the shared stack's
 * environment with its own backup folder (so backup locks and catalogs of
 * test files never meet), and superuser access to its PostgreSQL.
 */
import postgres from "postgres";
import { parse, stringify } from "yaml";
import { join } from "../../lib/posix_path.ts";

/** A copy of an environment file pointing at the same servers, with a private backup folder. */
export interface BackupTestEnv {
  file: string;
  backupDir: string;
  /** The parsed environment (stateDir, services...). */
  config: {
    name: string;
    stateDir: string;
    backupDir: string;
    protected: boolean;
    services: Record<string, Record<string, unknown>>;
  };
  remove(): Promise<void>;
}

/** Copies `envFile` under a new name with its own backup folder (and `protected` when asked). */
export async function backupTestEnv(
  envFile: string,
  name: string,
  options: { protected?: boolean } = {},
): Promise<BackupTestEnv> {
  const dir = await Deno.makeTempDir({ prefix: `hailmary-${name}-` });
  await Deno.chmod(dir, 0o755);
  const config = parse(await Deno.readTextFile(envFile));
  config.name = name;
  config.backupDir = join(dir, "backups");
  config.protected = options.protected ?? false;
  const file = join(dir, `${name}.yaml`);
  await Deno.writeTextFile(file, stringify(config));
  return {
    file,
    backupDir: config.backupDir,
    config,
    remove: () => Deno.remove(dir, { recursive: true }).catch(() => {}),
  };
}

/** A superuser connection to a database of the environment's PostgreSQL, over its socket. */
export function superuserSql(env: BackupTestEnv, database: string): postgres.Sql {
  const pg = env.config.services.postgres as { port: number };
  return postgres({
    host: join(env.config.stateDir, "postgres", "socket"),
    port: pg.port,
    user: "postgres",
    database,
    max: 2,
    onnotice: () => {},
  });
}

/** Creates a database owned by the app user with a unique name; returns the name. */
export async function createTestDatabase(env: BackupTestEnv, prefix: string): Promise<string> {
  const suffix = crypto.randomUUID().slice(0, 8);
  const name = `${prefix}_${suffix}`;
  const sql = superuserSql(env, "postgres");
  try {
    await sql.unsafe(`create database "${name}" owner app`);
  } finally {
    await sql.end();
  }
  return name;
}

/** Drops a test database (and any database whose name starts with it, e.g. scratch copies). */
export async function dropTestDatabases(env: BackupTestEnv, prefix: string): Promise<void> {
  const sql = superuserSql(env, "postgres");
  try {
    const rows = await sql<{ datname: string }[]>`
      select datname from pg_database where datname like ${prefix + "%"}`;
    for (const row of rows) await sql.unsafe(`drop database "${row.datname}" with (force)`);
  } finally {
    await sql.end();
  }
}

/** Every database name on the server. */
export async function databaseNames(env: BackupTestEnv): Promise<string[]> {
  const sql = superuserSql(env, "postgres");
  try {
    return (await sql<{ datname: string }[]>`select datname from pg_database`).map((r) =>
      r.datname
    );
  } finally {
    await sql.end();
  }
}
