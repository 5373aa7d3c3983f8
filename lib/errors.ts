/**
 * Typed errors carrying the process exit code. Everything below the CLI entry
 * throws these; only `lib/cli/main.ts` turns them into an exit.
 * @module
 */

/** Exit codes of every task: 0 ok, 1 failed or unhealthy, 2 bad input, 75 busy. */
export const ExitCode = { ok: 0, failed: 1, usage: 2, busy: 75 } as const;
/** One of the documented exit codes. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Base class: a message for the operator, an exit code and an optional next step. */
export class OpsError extends Error {
  /** Process exit code for this error. */
  readonly exitCode: ExitCode;
  /** What the operator can do next, printed after the message. */
  readonly hint: string | undefined;

  constructor(
    message: string,
    options: { exitCode?: ExitCode; hint?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "OpsError";
    this.exitCode = options.exitCode ?? ExitCode.failed;
    this.hint = options.hint;
  }
}

/** A mistake in the input (flag, file, name): exit 2. */
export class UsageError extends OpsError {
  constructor(message: string, hint?: string) {
    super(
      message,
      hint === undefined ? { exitCode: ExitCode.usage } : { exitCode: ExitCode.usage, hint },
    );
    this.name = "UsageError";
  }
}

/** Another run holds the lock: exit 75. */
export class BusyError extends OpsError {
  constructor(message: string, hint?: string) {
    super(
      message,
      hint === undefined ? { exitCode: ExitCode.busy } : { exitCode: ExitCode.busy, hint },
    );
    this.name = "BusyError";
  }
}

/** The world did not do what was asked (server down, command failed): exit 1. */
export class FailedError extends OpsError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { ...options, exitCode: ExitCode.failed });
    this.name = "FailedError";
  }
}

/** The message of any thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
