import { FailedError } from "../errors.ts";

/**
 * The server went away under a client (crashed, killed, shut down) or was not
 * there: not a fault of the data. The message says what was attempted and
 * what the client saw, on one line.
 */
export class PostgresGoneError extends FailedError {
  /** What the client saw (`pg_restore: server closed the connection unexpectedly`). */
  readonly seen: string;

  constructor(attempt: string, seen: string) {
    super(`could not ${attempt}: postgres went away (${seen})`, {
      hint: "./ops status shows whether it runs; ./ops postgres:start starts it again",
    });
    this.name = "PostgresGoneError";
    this.seen = seen;
  }

  /** The same loss, told as part of a larger step (`restore backup X`). */
  during(attempt: string): PostgresGoneError {
    return new PostgresGoneError(attempt, this.seen);
  }
}

/**
 * What libpq clients (psql, pg_dump, pg_restore) and the server print when the
 * connection is lost or cannot be made. Each is matched on its own line.
 */
const goneMessages = [
  /server closed the connection unexpectedly/,
  /terminating connection due to (unexpected postmaster exit|administrator command)/,
  /the database system is (shutting down|starting up|in recovery mode|not yet accepting connections)/,
  /connection to server .* failed/,
  /could not connect to server/,
  /no connection to the server/,
  /could not (send data to|receive data from) server/,
  /lost synchronization with server/,
  /SSL SYSCALL error: EOF detected/,
  /connection not open/,
  // docker compose exec into a service whose container is not running (or restarting)
  /service "[^"]+" is not running/,
  /Container \S+ is restarting, wait until the container is running/,
];

/**
 * The line of a client's stderr that says the server went away, without the
 * program's `pg_restore: error:` prefix; undefined when nothing says so.
 */
export function postgresGoneReason(stderr: string): string | undefined {
  for (const line of stderr.split("\n")) {
    if (goneMessages.some((pattern) => pattern.test(line))) {
      return line.trim().replace(/^(\w+: )?(error|FATAL|fatal): +/, "").replace(/[.;:]+$/, "");
    }
  }
  return undefined;
}
