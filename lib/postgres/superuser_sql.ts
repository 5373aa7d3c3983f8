import type { Sql } from "postgres";
import type { ConfiguredService } from "../config/mod.ts";
import { errorMessage, FailedError } from "../errors.ts";
import { postgresPaths } from "../../services/postgres/paths.ts";

/**
 * A connection pool (one connection) to a database of the service as the
 * superuser, over the unix socket of its state folder. Loads the client lazily.
 */
export async function superuserSql(service: ConfiguredService, database: string): Promise<Sql> {
  const { default: postgres } = await import("postgres");
  const settings = service.settings as { port: number; superuser: string };
  return postgres({
    host: postgresPaths(service.stateDir).socket,
    port: settings.port,
    user: settings.superuser,
    database,
    max: 1,
    onnotice: () => {},
    connect_timeout: 10,
  });
}

/**
 * Runs `fn` with a superuser connection and always closes it.
 * @throws {FailedError} naming the database when the server cannot be reached.
 */
export async function withSuperuser<T>(
  service: ConfiguredService,
  database: string,
  fn: (sql: Sql) => Promise<T>,
): Promise<T> {
  const sql = await superuserSql(service, database);
  try {
    return await fn(sql);
  } catch (error) {
    if (error instanceof Error && "code" in error && error.code === "ECONNREFUSED") {
      throw new FailedError(`postgres is not reachable: ${errorMessage(error)}`, {
        hint: "start it with ./ops up postgres",
      });
    }
    throw error;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
