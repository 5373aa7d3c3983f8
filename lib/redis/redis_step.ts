import { errorMessage, FailedError, OpsError } from "../errors.ts";

/** Node socket error codes that mean the connection to the server is gone. */
const lostCodes = new Set(["ECONNRESET", "EPIPE", "ECONNREFUSED", "ECONNABORTED", "ETIMEDOUT"]);

/**
 * What node-redis throws when the server goes away (crashed, killed,
 * stopped) or answers with an error, as a one-line {@link FailedError} saying
 * what was being done (`waiting for the background save`) and what was seen.
 * Anything else (a bug) is returned unchanged, to be thrown as it is.
 */
export async function redisFailure(error: unknown, attempt: string): Promise<unknown> {
  if (error instanceof OpsError) return error;
  // loaded already: only a connected client can fail this way
  const redis = await import("redis");
  const code = (error as { code?: unknown } | null)?.code;
  const lost = error instanceof redis.SocketClosedUnexpectedlyError ||
    error instanceof redis.ClientClosedError ||
    error instanceof redis.ClientOfflineError ||
    error instanceof redis.DisconnectsClientError ||
    error instanceof redis.SocketTimeoutError ||
    error instanceof redis.ConnectionTimeoutError ||
    (typeof code === "string" && lostCodes.has(code));
  if (lost) {
    return new FailedError(
      `lost the connection to redis while ${attempt}: ${errorMessage(error)}`,
      {
        hint: "./ops status shows whether redis runs; ./ops redis:start starts it again",
        cause: error,
      },
    );
  }
  if (error instanceof redis.ErrorReply) {
    return new FailedError(`redis answered an error while ${attempt}: ${errorMessage(error)}`, {
      hint: "read ./ops redis:logs",
      cause: error,
    });
  }
  return error;
}

/**
 * Runs one exchange with redis, turning a lost connection or an error reply
 * into a one-line {@link FailedError} naming `attempt`.
 * @example
 * const info = await redisStep("reading INFO server", () => client.sendCommand(["INFO", "server"]));
 */
export async function redisStep<T>(attempt: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw await redisFailure(error, attempt);
  }
}
