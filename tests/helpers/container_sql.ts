/** SQL against a PostgreSQL server in a container, through the image's own psql. */
import { dockerText } from "./docker_text.ts";

/** Where psql reaches a server in a container: the container, its socket folder there, its port. */
export interface ContainerServer {
  container: string;
  socket: string;
  port: number;
}

/**
 * Runs SQL as the superuser in a container (`docker exec ... psql` over the
 * server's socket folder, database `app`); rows as `|`-separated fields.
 * @throws when psql fails, with its stderr.
 */
export async function containerSql(where: ContainerServer, text: string): Promise<string[][]> {
  const out = await dockerText([
    "exec",
    where.container,
    "psql",
    ...["-X", "-A", "-t", "-q", "-F", "|", "-h", where.socket, "-p", String(where.port)],
    ...["-U", "postgres", "-d", "app", "-v", "ON_ERROR_STOP=1", "-c", text],
  ]);
  return out.split("\n").filter((l) => l).map((l) => l.split("|"));
}
