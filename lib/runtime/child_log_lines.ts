import { FailedError } from "../errors.ts";
import { mergeLines } from "./merge_lines.ts";

/**
 * The lines a log-reading child process writes (stdout and stderr as one log),
 * until it exits or `signal` aborts; the child is killed when the reader stops.
 * @throws {FailedError} naming `what` when the child fails without being aborted.
 */
export async function* childLogLines(
  child: Deno.ChildProcess,
  what: string,
  signal?: AbortSignal,
): AsyncGenerator<string> {
  const onAbort = () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    yield* mergeLines([child.stdout, child.stderr]);
    const status = await child.status;
    if (!status.success && !signal?.aborted) {
      throw new FailedError(`reading the log of ${what} failed`);
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    onAbort();
  }
}
