import type { ConfiguredService } from "../config/mod.ts";
import { FailedError } from "../errors.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { postgresAccess } from "./postgres_access.ts";
import { PostgresGoneError, postgresGoneReason } from "./postgres_gone.ts";

/** Field separator of psql's unaligned output (a control character no name we read contains). */
const fieldSeparator = "\x1f";

/** A quoted SQL identifier. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A quoted SQL string literal (standard_conforming_strings is on since PostgreSQL 9.1). */
export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function psqlArgv(service: ConfiguredService, database: string): string[] {
  const access = postgresAccess(service);
  return [
    access.bin("psql"),
    "-X",
    "-A",
    "-t",
    "-q",
    "-F",
    fieldSeparator,
    ...access.superuserArgs,
    "--no-password",
    "-d",
    database,
  ];
}

/**
 * Runs one SQL statement as the superuser over the service's socket with psql
 * (a client program, so it runs wherever the runtime runs it, and needs no
 * network permission) and returns the rows as text fields.
 * @throws {PostgresGoneError} when the server is not there or went away; {FailedError} with psql's error message.
 */
export async function superuserQuery(
  runtime: Runtime,
  service: ConfiguredService,
  database: string,
  sql: string,
): Promise<string[][]> {
  const child = runtime.exec(
    service,
    [...psqlArgv(service, database), "-v", "ON_ERROR_STOP=1", "-c", sql],
    { env: { LANG: "C.UTF-8" }, stdout: "piped", stderr: "piped" },
  );
  const { code, stdout, stderr } = await child.output();
  if (code !== 0) {
    const text = new TextDecoder().decode(stderr);
    const gone = postgresGoneReason(text);
    if (gone) throw new PostgresGoneError(`query the database ${database}`, `psql: ${gone}`);
    const message = text.trim().split("\n").slice(-4).join("; ");
    throw new FailedError(`${message || `psql exited with ${code}`} (database ${database})`, {
      ...(code === 2 ? { hint: "is postgres running? ./ops status" } : {}),
    });
  }
  return rows(new TextDecoder().decode(stdout));
}

function rows(text: string): string[][] {
  return text.split("\n").filter((line) => line !== "").map((line) => line.split(fieldSeparator));
}

/**
 * A psql session held open as the superuser: statements run one after the
 * other in the same server session, so a transaction (and its snapshot) can
 * stay open while other programs work.
 */
export class PsqlSession {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #lines: AsyncIterator<string>;
  #stderr = "";
  /** Resolves when psql's stderr has ended (it has exited and everything it said is read). */
  readonly #stderrDone: Promise<void>;
  #counter = 0;
  readonly #database: string;

  private constructor(child: Deno.ChildProcess, database: string) {
    this.#child = child;
    this.#database = database;
    this.#writer = child.stdin.getWriter();
    this.#lines = lines(child.stdout)[Symbol.asyncIterator]();
    this.#stderrDone = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of child.stderr) {
        this.#stderr = (this.#stderr + decoder.decode(chunk, { stream: true })).slice(-4096);
      }
    })().catch(() => {});
  }

  /** Opens a session on `database`. */
  static open(runtime: Runtime, service: ConfiguredService, database: string): PsqlSession {
    const child = runtime.exec(service, [...psqlArgv(service, database), "-v", "ON_ERROR_STOP=0"], {
      env: { LANG: "C.UTF-8" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    });
    return new PsqlSession(child, database);
  }

  /** The pid of the psql process. */
  get pid(): number {
    return this.#child.pid;
  }

  /**
   * Runs one statement (no trailing semicolon needed) and returns its rows.
   * @throws {FailedError} with the server's message when the statement fails.
   */
  async query(sql: string): Promise<string[][]> {
    const marker = `__ops_end_${++this.#counter}__`;
    this.#stderr = "";
    const statement = sql.trim().replace(/;+\s*$/, "");
    try {
      await this.#writer.write(
        new TextEncoder().encode(`${statement};\n\\echo ${marker} :ERROR\n`),
      );
    } catch {
      // psql has exited: its stdout ends and says why below
    }
    const out: string[] = [];
    while (true) {
      const next = await this.#lines.next();
      if (next.done) {
        const status = await this.#child.status;
        // what psql said on its way out (a closed stream ends this; a stuck one gets 2 s)
        await Promise.race([this.#stderrDone, new Promise((r) => setTimeout(r, 2000))]);
        const text = this.#stderr.trim();
        // exit code 2: psql lost its connection (it may say nothing when the server vanished)
        const gone = postgresGoneReason(text) ??
          (status.code === 2 ? "the connection to the server was lost" : undefined);
        if (gone) {
          throw new PostgresGoneError(`query the database ${this.#database}`, `psql: ${gone}`);
        }
        throw new FailedError(
          `psql ended unexpectedly (database ${this.#database}): ${
            text.split("\n").slice(-3).join("; ")
          }`,
        );
      }
      if (next.value.startsWith(marker)) {
        if (next.value.endsWith("true")) {
          await new Promise((r) => setTimeout(r, 20)); // let stderr catch up
          const gone = postgresGoneReason(this.#stderr);
          if (gone) {
            throw new PostgresGoneError(`query the database ${this.#database}`, `psql: ${gone}`);
          }
          throw new FailedError(
            `${this.#stderr.trim().split("\n").slice(-3).join("; ")} (database ${this.#database})`,
          );
        }
        return rows(out.join("\n"));
      }
      out.push(next.value);
    }
  }

  /** Ends the session (an open transaction is rolled back by the server). */
  async close(): Promise<void> {
    try {
      await this.#writer.write(new TextEncoder().encode("\\q\n"));
      await this.#writer.close();
    } catch {
      // psql already gone
    }
    await this.#child.status;
  }

  /** Ends psql at once. */
  kill(): void {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
}

async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of stream) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf("\n")) !== -1) {
      yield buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
    }
  }
  if (buffer) yield buffer;
}
