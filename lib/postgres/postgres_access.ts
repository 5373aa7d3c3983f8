import type { ConfiguredService } from "../config/mod.ts";
import { postgresProgram } from "../service/binaries.ts";
import { serviceHost } from "../service/service_context.ts";
import { postgresPaths } from "./postgres_paths.ts";
import type { PostgresConnection } from "./migrations.ts";

/** How tasks reach a configured PostgreSQL: as the app user over TCP, or as the superuser over the socket. */
export interface PostgresAccess {
  /** The app database from the settings. */
  database: string;
  /** The app user and password over TCP (migrations, psql). */
  app: PostgresConnection;
  /** libpq arguments for the superuser over the unix socket (`-h dir -p port -U user`). */
  superuserArgs: string[];
  /** The superuser name. */
  superuser: string;
  /** Environment for client programs run as the app user (PGPASSWORD, never on a command line). */
  appEnv: Record<string, string>;
  /** Absolute path of a client program (pg_dump, pg_restore, psql); its name alone when the host has none. */
  bin(program: string): string;
}

/** Connection facts of the postgres service of an environment. */
export function postgresAccess(service: ConfiguredService): PostgresAccess {
  const settings = service.settings as {
    port: number;
    database: string;
    user: string;
    superuser: string;
  };
  const password = service.secrets.password;
  const socket = postgresPaths(service.stateDir).socket;
  return {
    database: settings.database,
    app: {
      host: serviceHost(service),
      port: settings.port,
      user: settings.user,
      password,
      database: settings.database,
    },
    superuser: settings.superuser,
    superuserArgs: ["-h", socket, "-p", String(settings.port), "-U", settings.superuser],
    appEnv: {
      PGHOST: serviceHost(service),
      PGPORT: String(settings.port),
      PGUSER: settings.user,
      PGDATABASE: settings.database,
      ...(password ? { PGPASSWORD: password } : {}),
    },
    bin: postgresProgram,
  };
}
