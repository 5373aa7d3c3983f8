import type { ConfiguredService } from "../config/mod.ts";
import { FailedError } from "../errors.ts";
import type { Runtime } from "../runtime/runtime.ts";
import { PostgresGoneError, postgresGoneReason } from "./postgres_gone.ts";

/** A client program started by {@link startClient}. */
export interface RunningClient {
  child: Deno.ChildProcess;
  /** Resolves when the program exits; rejects with the tail of stderr on a non-zero exit. */
  finished: Promise<void>;
}

/** Options of {@link startClient}. */
export interface ClientOptions {
  env?: Record<string, string>;
  /** `piped` when the caller reads stdout (pg_dump to a stream). */
  stdout?: "piped" | "null" | "inherit";
  /** `piped` when the caller feeds the program (tar reading a base backup). */
  stdin?: "piped" | "null";
  /** Kills the program (SIGTERM) when aborted. */
  signal?: AbortSignal;
  /** What the program does, for the message when the server goes away (`restore backup X into Y`). */
  attempt?: string;
}

/**
 * Starts a client program (pg_dump, pg_restore, psql) where the service runs,
 * reading its stderr on the side so it can never block, and keeping the tail
 * for the error message. When the server went away under it, the error is a
 * one-line {@link PostgresGoneError}.
 */
export function startClient(
  runtime: Pick<Runtime, "exec">,
  service: ConfiguredService,
  argv: string[],
  options: ClientOptions = {},
): RunningClient {
  const child = runtime.exec(service, argv, {
    env: { LANG: "C.UTF-8", ...(options.env ?? {}) },
    stdout: options.stdout ?? "null",
    stderr: "piped",
    ...(options.stdin ? { stdin: options.stdin } : {}),
  });
  const onAbort = () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const stderr = collectTail(child.stderr);
  const name = argv[0]?.split("/").pop() ?? "client";
  const finished = (async () => {
    const [status, tail] = await Promise.all([child.status, stderr]);
    options.signal?.removeEventListener("abort", onAbort);
    if (options.signal?.aborted) throw new FailedError(`${name} was interrupted`);
    if (!status.success) {
      const gone = postgresGoneReason(tail);
      if (gone) throw new PostgresGoneError(options.attempt ?? `run ${name}`, `${name}: ${gone}`);
      const why = status.signal ? `was killed by ${status.signal}` : `exited with ${status.code}`;
      throw new FailedError(
        `${name} ${why}${tail ? `:\n    ${tail.split("\n").join("\n    ")}` : ""}`,
      );
    }
  })();
  // the caller may await something else first: a failure is handled there, not left unhandled
  finished.catch(() => {});
  return { child, finished };
}

/**
 * Runs a client program to completion.
 * @throws {PostgresGoneError} when the server went away; {FailedError} with the tail of stderr otherwise.
 */
export async function runClient(
  runtime: Runtime,
  service: ConfiguredService,
  argv: string[],
  options: ClientOptions = {},
): Promise<void> {
  await startClient(runtime, service, argv, { ...options, stdout: options.stdout ?? "null" })
    .finished;
}

/** The last lines (at most 8, 4 KiB) of a stream, read to its end. */
async function collectTail(stream: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let tail = "";
  for await (const chunk of stream) {
    tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4096);
  }
  return tail.trim().split("\n").slice(-8).join("\n");
}
