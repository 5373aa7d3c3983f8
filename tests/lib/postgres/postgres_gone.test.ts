import { describe, expect, it } from "vitest";
import { PostgresGoneError, postgresGoneReason } from "../../../lib/postgres/postgres_gone.ts";

describe("postgresGoneReason", () => {
  it("names the line where a client saw the server go away", () => {
    expect(postgresGoneReason(
      [
        "pg_restore: error: could not execute query: server closed the connection unexpectedly",
        "\tThis probably means the server terminated abnormally",
        "Command was: SET lock_timeout = 0;",
      ].join("\n"),
    )).toBe("could not execute query: server closed the connection unexpectedly");
    expect(postgresGoneReason("FATAL:  terminating connection due to unexpected postmaster exit"))
      .toBe("terminating connection due to unexpected postmaster exit");
    expect(postgresGoneReason(
      'psql: error: connection to server on socket "/s/.s.PGSQL.5432" failed: No such file or directory',
    )).toBe('connection to server on socket "/s/.s.PGSQL.5432" failed: No such file or directory');
  });

  it("says nothing about failures of the data or the statement", () => {
    expect(postgresGoneReason("pg_restore: error: could not read input file: end of file")).toBe(
      undefined,
    );
    expect(postgresGoneReason('ERROR:  relation "nope" does not exist')).toBe(undefined);
  });

  it("tells what was attempted and what was seen on one line", () => {
    const error = new PostgresGoneError("dump the database app", "pg_dump: server closed")
      .during("back up app");
    expect(error.message).toBe(
      "could not back up app: postgres went away (pg_dump: server closed)",
    );
    expect(error.exitCode).toBe(1);
  });
});
